package deploy

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"go.yaml.in/yaml/v3"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
)

// repoRoot is the module root, seen from this package's directory.
const repoRoot = "../.."

type httpGet struct {
	Path string `yaml:"path"`
	Port any    `yaml:"port"`
}

type probe struct {
	HTTPGet *httpGet `yaml:"httpGet"`
	Exec    *struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Ports   []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

// keyPath is one item of a volume's Secret or ConfigMap.
type keyPath struct {
	Key  string `yaml:"key"`
	Path string `yaml:"path"`
}

// volumeSource is a Secret or ConfigMap as a volume, or as a source of a
// projected one.
type volumeSource struct {
	Name  string    `yaml:"name"`
	Items []keyPath `yaml:"items"`
}

type podSpec struct {
	RestartPolicy   string `yaml:"restartPolicy"`
	SecurityContext struct {
		RunAsUser  *int `yaml:"runAsUser"`
		RunAsGroup *int `yaml:"runAsGroup"`
		FSGroup    *int `yaml:"fsGroup"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name      string        `yaml:"name"`
		ConfigMap *volumeSource `yaml:"configMap"`
		Secret    *volumeSource `yaml:"secret"`
		Projected *struct {
			Sources []struct {
				ConfigMap *volumeSource `yaml:"configMap"`
				Secret    *volumeSource `yaml:"secret"`
			} `yaml:"sources"`
		} `yaml:"projected"`
	} `yaml:"volumes"`
}

// object is the union of the fields the tests read from any kind.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Resources  []string          `yaml:"resources"` // Kustomization
	Spec       struct {
		Replicas    *int   `yaml:"replicas"`
		ServiceName string `yaml:"serviceName"`
		ClusterIP   string `yaml:"clusterIP"`
		Ports       []struct {
			Port int `yaml:"port"`
		} `yaml:"ports"`
		Type         string `yaml:"type"`
		ExternalName string `yaml:"externalName"`
		Selector     any    `yaml:"selector"`
		Template     struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`

	file string
	raw  string // the document's text: what the IDV_ scan reads
}

// manifests parses every document of every YAML file under kubernetes/.
func manifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manifests under kubernetes/")
	}
	var objs []object
	seen := map[string]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for i := 0; ; i++ {
			var node yaml.Node
			if err := dec.Decode(&node); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			var o object
			if err := node.Decode(&o); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			if o.APIVersion == "" || o.Kind == "" {
				t.Fatalf("%s document %d: no apiVersion or kind", f, i)
			}
			if o.Kind != "Kustomization" && o.Metadata.Name == "" {
				t.Fatalf("%s document %d: %s without metadata.name", f, i, o.Kind)
			}
			key := o.Kind + "/" + o.Metadata.Name
			if prev, dup := seen[key]; dup && o.Kind != "Kustomization" {
				t.Errorf("%s defined in %s and %s", key, prev, f)
			}
			seen[key] = f
			text, err := yaml.Marshal(&node)
			if err != nil {
				t.Fatal(err)
			}
			o.file, o.raw = f, string(text)
			objs = append(objs, o)
		}
	}
	return objs
}

func find(objs []object, kind, name string) *object {
	for i := range objs {
		if objs[i].Kind == kind && objs[i].Metadata.Name == name {
			return &objs[i]
		}
	}
	return nil
}

// commands reads the subcommands and stages cmd/idv accepts from its source,
// so a renamed one fails here rather than in a crash-looping pod.
func commands(t *testing.T) (subcommands, stages []string) {
	t.Helper()
	main, err := os.ReadFile(filepath.Join(repoRoot, "cmd/idv/main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`case "([a-z-]+)":`).FindAllSubmatch(main, -1) {
		subcommands = append(subcommands, string(m[1]))
	}
	pipeline, err := os.ReadFile(filepath.Join(repoRoot, "cmd/idv/stages.go"))
	if err != nil {
		t.Fatal(err)
	}
	// Each entry of the pipeline is {<package>.Spec, build}; the stage's
	// name is in its Spec, in consumers/<package>/<package>.go.
	m := regexp.MustCompile(`(?s)var pipeline = \[\]stageWiring\{(.*?)\n\}`).FindSubmatch(pipeline)
	if m == nil {
		t.Fatal("cmd/idv/stages.go: no `var pipeline = []stageWiring{…}`")
	}
	for _, e := range regexp.MustCompile(`\{(\w+)\.Spec,`).FindAllSubmatch(m[1], -1) {
		spec, err := os.ReadFile(filepath.Join(repoRoot, "consumers", string(e[1]), string(e[1])+".go"))
		if err != nil {
			t.Fatal(err)
		}
		name := regexp.MustCompile(`var Spec = idv\.Stage\{\s*Name:\s*("[^"]*")`).FindSubmatch(spec)
		if name == nil {
			t.Fatalf("consumers/%s/%s.go: no Spec with a Name", e[1], e[1])
		}
		s, err := strconv.Unquote(string(name[1]))
		if err != nil {
			t.Fatal(err)
		}
		stages = append(stages, s)
	}
	for _, want := range []string{"api", "relay", "retention", "worker", "migrate"} {
		if !slices.Contains(subcommands, want) {
			t.Fatalf("cmd/idv/main.go: no subcommand %q among %v", want, subcommands)
		}
	}
	if len(stages) < 4 {
		t.Fatalf("cmd/idv/stages.go: stages %v, want at least four", stages)
	}
	return subcommands, stages
}

// checkCommandLine checks args (after `idv`) name a long-running or migrate
// subcommand and, for worker, real stages.
func checkCommandLine(t *testing.T, where string, args []string, stages []string) {
	t.Helper()
	if len(args) == 0 || !slices.Contains([]string{"api", "relay", "retention", "worker", "migrate"}, args[0]) {
		t.Errorf("%s: runs idv %v, want one of api, relay, retention, worker STAGE..., migrate", where, args)
		return
	}
	if args[0] != "worker" {
		if len(args) != 1 {
			t.Errorf("%s: idv %s takes no arguments, got %v", where, args[0], args[1:])
		}
		return
	}
	if len(args) == 1 {
		t.Errorf("%s: idv worker without stages", where)
	}
	if len(args) == 2 && args[1] == "all" {
		return // every stage; face match only where its models are installed
	}
	for _, s := range args[1:] {
		if !slices.Contains(stages, s) {
			t.Errorf("%s: unknown stage %q (stages: %v)", where, s, stages)
		}
	}
}

// TestDeployments checks that every part of the description (Parts) has
// its Deployment, or its Job when it runs once, and that nothing else runs
// idv: each runs `idv` with the part's arguments, has CPU and memory
// requests and limits, takes its environment from idv-config and
// idv-secrets, and (a Deployment) has a readiness probe on /readyz and a
// liveness probe on /healthz on the ops port the cluster's IDV_OPS_ADDR
// sets; the API also exposes its HTTP port.
func TestDeployments(t *testing.T) {
	t.Parallel()
	objs := manifests(t)
	opsPort := sitePort(t, clusterSite.OpsAddr)
	found := map[string]bool{}
	for _, o := range objs {
		if o.Kind != "Deployment" && o.Kind != "Job" {
			continue
		}
		name := o.Metadata.Name
		where := o.file + ": " + o.Kind + " " + name
		spec := o.Spec.Template.Spec
		if len(spec.Containers) != 1 {
			t.Errorf("%s: %d containers, want 1", where, len(spec.Containers))
			continue
		}
		c := spec.Containers[0]
		i := slices.IndexFunc(Parts, func(p Part) bool { return p.Object() == name })
		if i < 0 {
			t.Errorf("%s: not the object of a part of the description (infra/deploy/layout.go)", where)
			continue
		}
		p := Parts[i]
		found[name] = true
		if want := map[bool]string{true: "Job", false: "Deployment"}[p.Once]; o.Kind != want {
			t.Errorf("%s: part %s is a %s", where, p.Name, want)
		}
		if c.Image == "" || !slices.Equal(c.Command, []string{"idv"}) {
			t.Errorf("%s: image %q command %v, want an image and command [idv]", where, c.Image, c.Command)
		}
		if !slices.Equal(c.Args, p.Args) {
			t.Errorf("%s: runs idv %v, want idv %v", where, c.Args, p.Args)
		}
		for _, kind := range []string{"cpu", "memory"} {
			if c.Resources.Requests[kind] == "" || c.Resources.Limits[kind] == "" {
				t.Errorf("%s: no %s request or limit", where, kind)
			}
		}
		var cm, secret bool
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				cm = e.ConfigMapRef.Name == "idv-config"
			}
			if e.SecretRef != nil {
				secret = e.SecretRef.Name == "idv-secrets"
			}
		}
		if !cm || !secret {
			t.Errorf("%s: env must come from ConfigMap idv-config and Secret idv-secrets", where)
		}
		if o.Kind == "Job" {
			if spec.RestartPolicy != "Never" && spec.RestartPolicy != "OnFailure" {
				t.Errorf("%s: restartPolicy %q", where, spec.RestartPolicy)
			}
			continue
		}
		if o.Spec.Replicas == nil || *o.Spec.Replicas < 1 {
			t.Errorf("%s: replicas not set", where)
		}
		ports := map[string]int{}
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
		for kind, pr := range map[string]struct {
			p    *probe
			path string
		}{"readiness": {c.ReadinessProbe, "/readyz"}, "liveness": {c.LivenessProbe, "/healthz"}} {
			if pr.p == nil || pr.p.HTTPGet == nil {
				t.Errorf("%s: no HTTP %s probe", where, kind)
				continue
			}
			if pr.p.HTTPGet.Path != pr.path {
				t.Errorf("%s: %s probe on %q, want %s", where, kind, pr.p.HTTPGet.Path, pr.path)
			}
			port := 0
			switch v := pr.p.HTTPGet.Port.(type) {
			case int:
				port = v
			case string:
				port = ports[v]
			}
			if port != opsPort {
				t.Errorf("%s: %s probe on port %v, want the ops port %d (IDV_OPS_ADDR in idv-config)", where, kind, pr.p.HTTPGet.Port, opsPort)
			}
		}
		if ports["http"] != p.HTTPPort && p.HTTPPort != 0 {
			t.Errorf("%s: ports %v, want http %d", where, ports, p.HTTPPort)
		}
	}
	for _, p := range Parts {
		if !found[p.Object()] {
			t.Errorf("part %s: no Deployment or Job %s", p.Name, p.Object())
		}
	}
}

// sitePort is the port of a site's IDV_OPS_ADDR, ":9090".
func sitePort(t *testing.T, addr string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("IDV_OPS_ADDR %q: %v", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("IDV_OPS_ADDR %q: %v", addr, err)
	}
	return n
}

// TestConfiguration checks that each part's pod gets exactly the
// environment the description gives it in the cluster (clusterSite.Env):
// the shared settings from ConfigMap idv-config, with the same values, and
// Secret idv-secrets, holding exactly the secret ones (Secrets), and what
// only some parts read (IDV_FACE_DIR) in its container's env; and that
// every IDV_ variable the manifests and the compose file name is in the
// README's configuration table.
func TestConfiguration(t *testing.T) {
	t.Parallel()
	objs := manifests(t)
	cm := find(objs, "ConfigMap", "idv-config")
	secret := find(objs, "Secret", "idv-secrets")
	if cm == nil || secret == nil {
		t.Fatal("no ConfigMap idv-config or no Secret idv-secrets")
	}
	if got := slices.Sorted(maps.Keys(secret.StringData)); !slices.Equal(got, slices.Sorted(slices.Values(Secrets))) {
		t.Errorf("Secret idv-secrets holds %v, want the secret settings %v", got, Secrets)
	}
	for _, k := range Secrets {
		if _, ok := cm.Data[k]; ok {
			t.Errorf("ConfigMap idv-config holds %s, a secret", k)
		}
	}
	for _, p := range Parts {
		o := find(objs, map[bool]string{true: "Job", false: "Deployment"}[p.Once], p.Object())
		if o == nil || len(o.Spec.Template.Spec.Containers) != 1 {
			continue // TestDeployments says so
		}
		got := map[string]string{}
		maps.Copy(got, cm.Data)
		for k := range secret.StringData {
			got[k] = "(secret)"
		}
		for _, e := range o.Spec.Template.Spec.Containers[0].Env {
			if _, dup := got[e.Name]; dup {
				t.Errorf("%s: env %s also in idv-config or idv-secrets", p.Object(), e.Name)
			}
			got[e.Name] = e.Value
		}
		want := clusterSite.Env(p)
		for _, k := range Secrets {
			if _, ok := want[k]; ok {
				want[k] = "(secret)"
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: environment\n%v\nwant (clusterSite.Env)\n%v", p.Object(), got, want)
		}
	}

	documented := readmeVariables(t)
	ident := regexp.MustCompile(`\bIDV_[A-Z0-9_]+`)
	texts := map[string]string{}
	for _, o := range objs {
		texts[o.file] += o.raw
	}
	compose, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	texts["compose.yaml"] = string(compose)
	n := 0
	for file, text := range texts {
		for _, v := range ident.FindAllString(text, -1) {
			n++
			if !documented[v] {
				t.Errorf("%s names %s, which the README's configuration table does not document", file, v)
			}
		}
	}
	if n == 0 {
		t.Fatal("no IDV_ variable found in any manifest")
	}
}

// readmeVariables returns the IDV_ names in the first column of the
// configuration table in docs/operating.md.
func readmeVariables(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operating.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "### Configuration\n")
	if !ok {
		t.Fatal("docs/operating.md: no ### Configuration section")
	}
	names := map[string]bool{}
	ident := regexp.MustCompile("`(IDV_[A-Z0-9_]+)`")
	inTable := false
	for line := range strings.Lines(section) {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
		for _, m := range ident.FindAllStringSubmatch(first, -1) {
			names[m[1]] = true
		}
	}
	for _, want := range []string{"IDV_DATABASE_URL", "IDV_S3_SECRET_KEY", "IDV_LOG_FORMAT"} {
		if !names[want] {
			t.Fatalf("README configuration table: no %s among %v", want, names)
		}
	}
	return names
}

// TestNATS checks the StatefulSet of three and that its configuration, the
// production file adapted, still parses with nats-server and syncs every
// JetStream write; that it requires TLS from clients and routes, keeps
// monitoring on loopback (the probes ask from inside the pod) and admits the
// broker's roles only, from users.conf as `idv broker keys` writes it; and
// that the routes and IDV_NATS_URL name its pods through the headless
// Service.
func TestNATS(t *testing.T) {
	objs := manifests(t)
	_, stages := commands(t)
	var sts *object
	for i := range objs {
		if objs[i].Kind == "StatefulSet" {
			sts = &objs[i]
		}
	}
	if sts == nil {
		t.Fatal("no NATS StatefulSet")
	}
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 3 {
		t.Fatalf("StatefulSet %s: replicas %v, want 3", sts.Metadata.Name, sts.Spec.Replicas)
	}
	svc := find(objs, "Service", sts.Spec.ServiceName)
	if svc == nil || svc.Spec.ClusterIP != "None" {
		t.Fatalf("StatefulSet %s: serviceName %q is not a headless Service", sts.Metadata.Name, sts.Spec.ServiceName)
	}
	for _, p := range svc.Spec.Ports {
		if p.Port == 8222 {
			t.Errorf("Service %s exposes the monitoring port", svc.Metadata.Name)
		}
	}
	// /etc/nats: the ConfigMap's nats-server.conf, users.conf from Secret
	// idv-nats-users, the certificate, key and CA from Secret idv-nats-tls.
	var confMap string
	files := map[string]string{} // path in /etc/nats → secret/key
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.ConfigMap != nil {
				confMap = src.ConfigMap.Name
			}
			if src.Secret != nil {
				for _, it := range src.Secret.Items {
					files[it.Path] = src.Secret.Name + "/" + it.Key
				}
			}
		}
	}
	want := map[string]string{"users.conf": "idv-nats-users/users.conf", "tls/tls.crt": "idv-nats-tls/tls.crt",
		"tls/tls.key": "idv-nats-tls/tls.key", "tls/ca.crt": "idv-nats-tls/ca.crt"}
	if !maps.Equal(files, want) {
		t.Errorf("StatefulSet %s: /etc/nats holds from Secrets %v, want %v", sts.Metadata.Name, files, want)
	}
	cm := find(objs, "ConfigMap", confMap)
	if cm == nil || cm.Data["nats-server.conf"] == "" {
		t.Fatalf("StatefulSet %s: mounts ConfigMap %q, which has no nats-server.conf", sts.Metadata.Name, confMap)
	}
	c := sts.Spec.Template.Spec.Containers
	if len(c) != 1 || !slices.Contains(c[0].Args, "/etc/nats/nats-server.conf") ||
		c[0].Resources.Limits["memory"] == "" || c[0].ReadinessProbe == nil || c[0].LivenessProbe == nil {
		t.Fatalf("StatefulSet %s: want one container started with /etc/nats/nats-server.conf, with limits and probes", sts.Metadata.Name)
	}
	for _, p := range c[0].Ports {
		if p.ContainerPort == 8222 {
			t.Errorf("StatefulSet %s: exposes the monitoring port", sts.Metadata.Name)
		}
	}
	for kind, p := range map[string]*probe{"readiness": c[0].ReadinessProbe, "liveness": c[0].LivenessProbe} {
		if p.Exec == nil || !slices.ContainsFunc(p.Exec.Command, func(a string) bool { return strings.HasPrefix(a, "http://127.0.0.1:8222/healthz") }) {
			t.Errorf("StatefulSet %s: %s probe %+v, want one asking the loopback monitoring port from inside the pod", sts.Metadata.Name, kind, p)
		}
	}

	conf, roles := etcNATS(t, cm.Data["nats-server.conf"], stages)
	t.Setenv("POD_NAME", sts.Metadata.Name+"-0")
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("nats-server.conf in ConfigMap %s: %v", confMap, err)
	}
	if !opts.JetStream || !opts.SyncAlways {
		t.Fatalf("jetstream %v, sync always %v: want both", opts.JetStream, opts.SyncAlways)
	}
	if opts.ServerName != sts.Metadata.Name+"-0" {
		t.Errorf("server_name %q, want the pod name", opts.ServerName)
	}
	if opts.TLSConfig == nil || opts.AllowNonTLS {
		t.Error("client port: TLS not required")
	}
	if opts.Cluster.TLSConfig == nil || opts.Cluster.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Error("routes: no mutual TLS")
	}
	if ip := net.ParseIP(opts.HTTPHost); opts.HTTPPort != 0 && (ip == nil || !ip.IsLoopback()) {
		t.Errorf("monitoring on %s:%d, want loopback only", opts.HTTPHost, opts.HTTPPort)
	}
	if len(opts.Nkeys) != len(roles) || len(opts.Users) != 0 || opts.NoAuthUser != "" {
		t.Errorf("%d nkey users and %d others, want exactly the roles %v", len(opts.Nkeys), len(opts.Users), broker.RoleNames(roles))
	}
	for i, u := range opts.Nkeys {
		if i < len(roles) && (u.Permissions == nil || !slices.Equal(u.Permissions.Publish.Allow, roles[i].Publish)) {
			t.Errorf("user %d: permissions %+v, want role %+v", i, u.Permissions, roles[i])
		}
	}
	if opts.Cluster.Name != "idv" || len(opts.Routes) != 3 {
		t.Fatalf("cluster %q with %d routes, want idv with 3", opts.Cluster.Name, len(opts.Routes))
	}
	var pods []string
	for i := range 3 {
		pods = append(pods, sts.Metadata.Name+"-"+strconv.Itoa(i)+"."+svc.Metadata.Name)
	}
	for i, r := range opts.Routes {
		if r.Hostname() != pods[i] || r.Port() != "6222" {
			t.Errorf("route %s, want %s:6222", r, pods[i])
		}
	}
	idv := find(objs, "ConfigMap", "idv-config")
	if idv == nil {
		t.Fatal("no ConfigMap idv-config")
	}
	var urls []string
	for _, p := range pods {
		urls = append(urls, "tls://"+p+":4222")
	}
	if got := idv.Data["IDV_NATS_URL"]; got != strings.Join(urls, ",") {
		t.Errorf("IDV_NATS_URL %q, want %q", got, strings.Join(urls, ","))
	}
}

// etcNATS lays out what the NATS configuration conf expects in /etc/nats —
// users.conf for stages and tls/ — in a temporary directory, and returns
// conf rewritten to read from there, with the roles it admits.
func etcNATS(t *testing.T, conf string, stages []string) (string, []broker.Role) {
	t.Helper()
	dir := t.TempDir()
	roles := writeAccess(t, dir, stages, "*.idv-nats")
	path := filepath.Join(dir, "nats-server.conf")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(conf, "/etc/nats/", dir+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, roles
}

// writeAccess writes into dir what `idv broker keys --dir dir --tls-hosts
// hosts` writes (the same functions): nkeys/, users.conf for the roles of
// stages, and tls/ with a CA and a certificate for hosts; it returns the
// roles.
func writeAccess(t *testing.T, dir string, stages []string, hosts ...string) []broker.Role {
	t.Helper()
	var specs []idv.Stage
	for _, s := range stages {
		specs = append(specs, idv.Stage{Name: s})
	}
	roles, err := broker.Roles(specs...)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := broker.WriteAccess(dir, roles); err != nil {
		t.Fatal(err)
	}
	certs, err := natsserver.NewCertificates(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.Write(filepath.Join(dir, "tls")); err != nil {
		t.Fatal(err)
	}
	return roles
}

// TestKustomization checks kustomization.yaml lists every manifest but the
// example Secret and the migrate Job, which are applied by hand.
func TestKustomization(t *testing.T) {
	t.Parallel()
	objs := manifests(t)
	var k *object
	for i := range objs {
		if objs[i].Kind == "Kustomization" {
			k = &objs[i]
		}
	}
	if k == nil {
		t.Fatal("no kustomization.yaml")
	}
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); !slices.Contains([]string{"kustomization.yaml", "secret.example.yaml", "migrate.yaml"}, b) {
			want = append(want, b)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources %v, want %v", got, want)
	}
}

// composeFile is what the tests read of compose.yaml.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Entrypoint  []string          `yaml:"entrypoint"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Configs []struct {
			Source string `yaml:"source"`
			Target string `yaml:"target"`
		} `yaml:"configs"`
	} `yaml:"services"`
	Configs map[string]struct {
		Content string `yaml:"content"`
	} `yaml:"configs"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file composeFile
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return file
}

// TestComposeBroker checks that compose.yaml's broker is the production
// model: `broker-access` runs `idv broker keys` with a certificate for host
// nats before the server starts; the server's configuration, parsed by
// nats-server with what that command writes, requires TLS, admits exactly
// the broker's roles with their permissions and keeps monitoring on
// loopback; every IDV service connects with tls://, the roles' keys and the
// CA from that volume.
func TestComposeBroker(t *testing.T) {
	t.Parallel()
	file := readCompose(t)
	keys := file.Services["broker-access"]
	if !slices.Equal(keys.Command, []string{"broker", "keys", "--dir", "/access", "--tls-hosts", "nats"}) ||
		!slices.Contains(keys.Volumes, "broker-access:/access") {
		t.Fatalf("service broker-access: command %v, volumes %v; want idv broker keys writing volume broker-access", keys.Command, keys.Volumes)
	}
	nats := file.Services["nats"]
	if nats.DependsOn["broker-access"].Condition != "service_completed_successfully" ||
		!slices.Contains(nats.Volumes, "broker-access:/etc/nats/access:ro") || len(nats.Configs) != 1 ||
		!slices.Equal(nats.Command, []string{"-c", nats.Configs[0].Target}) {
		t.Fatalf("service nats: %+v; want it started from its config after broker-access, the volume read-only in /etc/nats/access", nats)
	}
	conf := file.Configs[nats.Configs[0].Source].Content
	_, stages := commands(t)
	dir := t.TempDir()
	access := filepath.Join(dir, "access")
	roles := writeAccess(t, access, stages, "nats")
	path := filepath.Join(dir, "nats.conf")
	conf = strings.ReplaceAll(strings.ReplaceAll(conf, "/etc/nats/", dir+"/"), "/data", filepath.Join(dir, "js"))
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("compose.yaml config %s: %v", nats.Configs[0].Source, err)
	}
	if opts.TLSConfig == nil || opts.AllowNonTLS || !opts.JetStream {
		t.Errorf("TLS %v (non-TLS allowed %v), JetStream %v: want TLS required and JetStream", opts.TLSConfig != nil, opts.AllowNonTLS, opts.JetStream)
	}
	if ip := net.ParseIP(opts.HTTPHost); opts.HTTPPort != 0 && (ip == nil || !ip.IsLoopback()) {
		t.Errorf("monitoring on %s:%d, want loopback only", opts.HTTPHost, opts.HTTPPort)
	}
	if len(opts.Nkeys) != len(roles) || len(opts.Users) != 0 || opts.NoAuthUser != "" {
		t.Errorf("%d nkey users and %d others, want exactly the roles %v", len(opts.Nkeys), len(opts.Users), broker.RoleNames(roles))
	}
	for _, p := range Parts {
		s, ok := file.Services[p.Name]
		if !ok {
			continue // TestCompose says so
		}
		if !strings.HasPrefix(s.Environment["IDV_NATS_URL"], "tls://nats:") || s.Environment["IDV_NATS_NKEY_DIR"] != "/access/nkeys" ||
			s.Environment["IDV_NATS_TLS_CA"] != "/access/tls/ca.crt" {
			t.Errorf("compose.yaml service %s: broker settings %q %q %q; want tls://, the keys and the CA of broker-access",
				p.Name, s.Environment["IDV_NATS_URL"], s.Environment["IDV_NATS_NKEY_DIR"], s.Environment["IDV_NATS_TLS_CA"])
		}
		// A part that plays no role holds no key, as in the cluster.
		if mounted := slices.Contains(s.Volumes, "broker-access:/access:ro"); mounted != (p.Role != "") {
			t.Errorf("compose.yaml service %s: volumes %v; want broker-access read-only in /access exactly when it plays a broker role (%q)",
				p.Name, s.Volumes, p.Role)
		}
	}
}

// TestCompose checks that compose.yaml runs every part of the description
// as a service of its own, from the same image as the cluster, with the
// part's arguments and exactly the environment the description gives it
// there (composeSite.Env); that every part waits for the one that runs
// once (migrate), which waits for PostgreSQL, NATS and the bucket; that the
// API publishes its HTTP and ops ports; and that no other service runs idv
// but broker-access.
func TestCompose(t *testing.T) {
	t.Parallel()
	file := readCompose(t)
	var once Part
	for _, p := range Parts {
		if p.Once {
			once = p
		}
	}
	for _, p := range Parts {
		where := "compose.yaml service " + p.Name
		s, ok := file.Services[p.Name]
		if !ok {
			t.Errorf("compose.yaml: no service %s (part %v)", p.Name, p.Args)
			continue
		}
		if s.Image != idvImage || !slices.Equal(s.Entrypoint, []string{"idv"}) {
			t.Errorf("%s: image %q entrypoint %v, want %s with entrypoint [idv]", where, s.Image, s.Entrypoint, idvImage)
		}
		if !slices.Equal(s.Command, p.Args) {
			t.Errorf("%s: runs idv %v, want idv %v", where, s.Command, p.Args)
		}
		if want := composeSite.Env(p); !maps.Equal(s.Environment, want) {
			t.Errorf("%s: environment\n%v\nwant (composeSite.Env)\n%v", where, s.Environment, want)
		}
		if p.Once {
			for dep, cond := range map[string]string{"postgres": "service_healthy", "nats": "service_healthy", "s3-bucket": "service_completed_successfully"} {
				if s.DependsOn[dep].Condition != cond {
					t.Errorf("%s: does not wait for %s (%s)", where, dep, cond)
				}
			}
		} else if s.DependsOn[once.Name].Condition != "service_completed_successfully" {
			t.Errorf("%s: does not wait for %s to complete", where, once.Name)
		}
		var want []string
		for _, port := range []int{p.HTTPPort, p.OpsPort} {
			if p.HTTPPort != 0 && port != 0 { // the API's, published on the host
				want = append(want, fmt.Sprintf("%d:%d", port, port))
			}
		}
		if !slices.Equal(s.Ports, want) {
			t.Errorf("%s: ports %v, want %v", where, s.Ports, want)
		}
	}
	for name, s := range file.Services {
		if slices.Equal(s.Entrypoint, []string{"idv"}) && name != "broker-access" &&
			!slices.ContainsFunc(Parts, func(p Part) bool { return p.Name == name }) {
			t.Errorf("compose.yaml service %s runs idv %v but is no part of the description", name, s.Command)
		}
	}
	for _, svc := range []string{"postgres", "nats", "s3"} {
		if file.Services[svc].Image == "" {
			t.Errorf("compose.yaml: no %s service with an image", svc)
		}
	}
}

// TestComposeKeepsVersions checks that compose.yaml's S3 server keeps
// object versions and that the bucket has versioning on before migrate:
// versitygw's posix backend gets --versioning-dir on a volume of its own
// outside its root (without it, versitygw refuses to turn versioning on),
// and the one-shot s3-bucket enables versioning on the bucket every part
// uses, at the endpoint and with the credentials they use.
func TestComposeKeepsVersions(t *testing.T) {
	t.Parallel()
	file := readCompose(t)
	s3 := file.Services["s3"]
	args := s3.Command
	i := slices.Index(args, "--versioning-dir")
	if len(args) == 0 || args[0] != "posix" || i < 1 || i+1 >= len(args)-1 {
		t.Fatalf("service s3: command %v, want posix --versioning-dir DIR ROOT", args)
	}
	dir, root := args[i+1], args[len(args)-1]
	if dir == root || strings.HasPrefix(dir, strings.TrimSuffix(root, "/")+"/") {
		t.Errorf("service s3: versioning directory %s inside the root %s; versitygw refuses that", dir, root)
	}
	volumeAt := func(path string) bool {
		return slices.ContainsFunc(s3.Volumes, func(v string) bool {
			name, target, _ := strings.Cut(v, ":")
			return target == path && !strings.HasPrefix(name, "/") && !strings.HasPrefix(name, ".")
		})
	}
	if !volumeAt(dir) || !volumeAt(root) {
		t.Errorf("service s3: volumes %v, want named volumes at %s and %s", s3.Volumes, root, dir)
	}
	if !strings.HasSuffix(s3.Environment["VGW_PORT"], ":"+strings.TrimPrefix(composeSite.S3Endpoint, "http://s3:")) {
		t.Errorf("service s3: VGW_PORT %q, the parts reach it at %s", s3.Environment["VGW_PORT"], composeSite.S3Endpoint)
	}
	if s3.Environment["ROOT_ACCESS_KEY_ID"] != composeSite.S3AccessKey || s3.Environment["ROOT_SECRET_ACCESS_KEY"] != composeSite.S3SecretKey {
		t.Errorf("service s3: root credentials are not the parts'")
	}
	bucket := file.Services["s3-bucket"]
	script := strings.Join(bucket.Command, " ")
	enable := regexp.MustCompile(`aws --endpoint-url (\S+) s3api put-bucket-versioning --bucket (\S+)\s+--versioning-configuration Status=Enabled`).FindStringSubmatch(script)
	if enable == nil || enable[1] != composeSite.S3Endpoint || enable[2] != composeSite.S3Bucket {
		t.Errorf("service s3-bucket: %q; want put-bucket-versioning Status=Enabled on %s at %s", script, composeSite.S3Bucket, composeSite.S3Endpoint)
	}
	if bucket.Environment["AWS_ACCESS_KEY_ID"] != composeSite.S3AccessKey || bucket.Environment["AWS_SECRET_ACCESS_KEY"] != composeSite.S3SecretKey {
		t.Errorf("service s3-bucket: credentials are not the parts'")
	}
}
