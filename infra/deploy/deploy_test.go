// Package deploy holds IDV's deployment manifests: kubernetes/ for a cluster
// and compose.yaml for a laptop. Nothing here runs them; its tests parse
// every document and check what a typo would break unnoticed: each role runs
// a real subcommand, has both probes and resource limits, reads only
// configuration the README documents, NATS keeps syncing every write and
// admits only the broker's roles over TLS, each pod holds only its own
// role's key, and the NetworkPolicies let through only what IDV needs.
package deploy

import (
	"bytes"
	"crypto/tls"
	"errors"
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

// roles are the Deployments the brief asks for, with the command line each
// runs after `idv`.
var roles = map[string][]string{
	"idv-api":              {"api"},
	"idv-relay":            {"relay"},
	"idv-retention":        {"retention"},
	"idv-worker-doccheck":  {"worker", "doccheck"},
	"idv-worker-decision":  {"worker", "decision"},
	"idv-worker-notify":    {"worker", "notify"},
	"idv-worker-wipe":      {"worker", "wipe"},
	"idv-worker-facematch": {"worker", "facematch"},
	"idv-worker-liveness":  {"worker", "liveness"},
}

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
		Name string `yaml:"name"`
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

// TestDeployments checks each role's Deployment and the migrate Job.
func TestDeployments(t *testing.T) {
	t.Parallel()
	objs := manifests(t)
	_, stages := commands(t)
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
		if c.Image == "" || !slices.Equal(c.Command, []string{"idv"}) {
			t.Errorf("%s: image %q command %v, want an image and command [idv]", where, c.Image, c.Command)
		}
		checkCommandLine(t, where, c.Args, stages)
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
			if !slices.Equal(c.Args, []string{"migrate"}) {
				t.Errorf("%s: a Job runs idv %v, want migrate", where, c.Args)
			}
			if spec.RestartPolicy != "Never" && spec.RestartPolicy != "OnFailure" {
				t.Errorf("%s: restartPolicy %q", where, spec.RestartPolicy)
			}
			found["job:migrate"] = true
			continue
		}

		want, ok := roles[name]
		if !ok {
			t.Errorf("%s: not one of the roles %v", where, roles)
			continue
		}
		found[name] = true
		if !slices.Equal(c.Args, want) {
			t.Errorf("%s: runs idv %v, want idv %v", where, c.Args, want)
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
			if port != 9090 {
				t.Errorf("%s: %s probe on port %v, want the ops port 9090", where, kind, pr.p.HTTPGet.Port)
			}
		}
		if name == "idv-api" && ports["http"] != 8080 {
			t.Errorf("%s: ports %v, want http 8080", where, ports)
		}
	}
	for name := range roles {
		if !found[name] {
			t.Errorf("no Deployment %s", name)
		}
	}
	if !found["job:migrate"] {
		t.Error("no Job running idv migrate")
	}
}

// TestConfiguration checks the ConfigMap and Secret hold what the brief
// lists, each in its place, and that every IDV_ variable the manifests and
// the compose file name is in the README's configuration table.
func TestConfiguration(t *testing.T) {
	t.Parallel()
	objs := manifests(t)
	cm := find(objs, "ConfigMap", "idv-config")
	secret := find(objs, "Secret", "idv-secrets")
	if cm == nil || secret == nil {
		t.Fatal("no ConfigMap idv-config or no Secret idv-secrets")
	}
	for k, v := range map[string]string{"IDV_STREAM_REPLICAS": "3", "IDV_LOG_FORMAT": "json"} {
		if cm.Data[k] != v {
			t.Errorf("ConfigMap idv-config: %s = %q, want %q", k, cm.Data[k], v)
		}
	}
	for _, k := range []string{"IDV_NATS_URL", "IDV_PUBLIC_URL", "IDV_S3_ENDPOINT", "IDV_S3_BUCKET"} {
		if cm.Data[k] == "" {
			t.Errorf("ConfigMap idv-config: no %s", k)
		}
	}
	secrets := []string{"IDV_DATABASE_URL", "IDV_KEYSTORE_URL", "IDV_MASTER_KEY", "IDV_S3_ACCESS_KEY", "IDV_S3_SECRET_KEY"}
	for _, k := range secrets {
		if _, ok := secret.StringData[k]; !ok {
			t.Errorf("Secret idv-secrets: no %s", k)
		}
		if _, ok := cm.Data[k]; ok {
			t.Errorf("ConfigMap idv-config holds %s, a secret", k)
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
	for name, s := range file.Services {
		if !slices.Equal(s.Entrypoint, []string{"idv"}) || name == "broker-access" {
			continue
		}
		if !strings.HasPrefix(s.Environment["IDV_NATS_URL"], "tls://nats:") || s.Environment["IDV_NATS_NKEY_DIR"] != "/access/nkeys" ||
			s.Environment["IDV_NATS_TLS_CA"] != "/access/tls/ca.crt" || !slices.Contains(s.Volumes, "broker-access:/access:ro") {
			t.Errorf("compose.yaml service %s: broker settings %q %q %q, volumes %v; want tls://, the keys and the CA of broker-access",
				name, s.Environment["IDV_NATS_URL"], s.Environment["IDV_NATS_NKEY_DIR"], s.Environment["IDV_NATS_TLS_CA"], s.Volumes)
		}
	}
}

// TestCompose checks compose.yaml parses, runs the same subcommands as the
// cluster (every stage included) from one image, and that each long-running
// role waits for idv migrate.
func TestCompose(t *testing.T) {
	t.Parallel()
	file := readCompose(t)
	_, stages := commands(t)
	subcommands := map[string]bool{}
	ranStages := map[string]bool{}
	for name, s := range file.Services {
		if !slices.Equal(s.Entrypoint, []string{"idv"}) || name == "broker-access" {
			continue // broker-access, before everything, is TestComposeBroker's
		}
		where := "compose.yaml service " + name
		if !strings.Contains(s.Image, "idv") {
			t.Errorf("%s: image %q", where, s.Image)
		}
		checkCommandLine(t, where, s.Command, stages)
		if len(s.Command) == 0 {
			continue
		}
		subcommands[s.Command[0]] = true
		if s.Command[0] == "worker" {
			for _, st := range s.Command[1:] {
				if st == "all" {
					for _, each := range stages {
						ranStages[each] = true
					}
				}
				ranStages[st] = true
			}
		}
		if s.Command[0] != "migrate" && s.DependsOn["migrate"].Condition != "service_completed_successfully" {
			t.Errorf("%s: does not wait for migrate to complete", where)
		}
		for _, k := range []string{"IDV_DATABASE_URL", "IDV_KEYSTORE_URL", "IDV_MASTER_KEY", "IDV_NATS_URL", "IDV_S3_ENDPOINT"} {
			if s.Environment[k] == "" {
				t.Errorf("%s: no %s", where, k)
			}
		}
	}

	var k8s []string
	for _, args := range roles {
		k8s = append(k8s, args[0])
	}
	k8s = append(k8s, "migrate")
	want := slices.Compact(slices.Sorted(slices.Values(k8s)))
	got := slices.Sorted(func(yield func(string) bool) {
		for s := range subcommands {
			if !yield(s) {
				return
			}
		}
	})
	if !slices.Equal(got, want) {
		t.Errorf("compose.yaml runs idv %v, the cluster %v", got, want)
	}
	for _, s := range stages {
		if !ranStages[s] {
			t.Errorf("compose.yaml runs no worker for stage %s", s)
		}
	}
	for _, svc := range []string{"postgres", "nats", "s3"} {
		if file.Services[svc].Image == "" {
			t.Errorf("compose.yaml: no %s service with an image", svc)
		}
	}
}
