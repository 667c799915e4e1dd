package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/postgres"
)

// idvImage is the image every IDV container runs, in the cluster and in
// compose.yaml.
const idvImage = "ghcr.io/idv-oss/idv:latest"

// clusterSite is the cluster of kubernetes/: the three NATS pods, each pod's
// broker key and the CA where its volume nats-access is mounted, one ops
// port for every pod (each has a network of its own, so the probes, the
// scrape annotations and NetworkPolicy idv-ops name one port). The secrets
// are the placeholders of secret.example.yaml; TestConfiguration compares
// their names only.
var clusterSite = Site{
	DatabaseURL:    "postgres://idv:REPLACE_ME@idv-postgres:5432/idv?sslmode=require",
	KeyStoreURL:    "postgres://idv_keys:REPLACE_ME@idv-keystore:5432/idv_keys?sslmode=require",
	MasterKey:      "REPLACE_ME",
	NATSURL:        "tls://idv-nats-0.idv-nats:4222,tls://idv-nats-1.idv-nats:4222,tls://idv-nats-2.idv-nats:4222",
	NATSKeyDir:     "/etc/idv/nats",
	NATSCA:         "/etc/idv/nats/ca.crt",
	StreamReplicas: 3,
	S3Endpoint:     "https://s3.eu-central-1.amazonaws.com",
	S3Region:       "eu-central-1",
	S3Bucket:       "idv-captures",
	S3AccessKey:    "REPLACE_ME",
	S3SecretKey:    "REPLACE_ME",
	PublicURL:      "https://idv.example.com",
	FaceDir:        FaceDir,
	LogFormat:      "json",
	OpsAddr:        ":9090",
}

// composeSite is compose.yaml's: services reached by their names, the
// broker's keys and CA in volume broker-access, the master key from the
// shell, each part on its own default ops port (a container has a network
// of its own), webhooks to private addresses allowed (development).
var composeSite = Site{
	DatabaseURL:         "postgres://idv:idv@postgres:5432/idv?sslmode=disable",
	KeyStoreURL:         "postgres://idv:idv@postgres:5432/idv_keys?sslmode=disable",
	MasterKey:           `${IDV_MASTER_KEY:?set IDV_MASTER_KEY, e.g. export IDV_MASTER_KEY="$(go run ./cmd/idv keygen)"}`,
	NATSURL:             "tls://nats:4222",
	NATSKeyDir:          "/access/nkeys",
	NATSCA:              "/access/tls/ca.crt",
	StreamReplicas:      1,
	S3Endpoint:          "http://s3:7070",
	S3Bucket:            "idv-captures",
	S3AccessKey:         "idvdev",
	S3SecretKey:         "idvdevsecret",
	PublicURL:           "http://localhost:8080",
	FaceDir:             FaceDir,
	LogFormat:           "text",
	WebhookAllowPrivate: true,
}

// TestParts checks the description against cmd/idv, as its sources say
// (cmd/idv's TestLayoutDescription checks the same against the code): each
// part runs a subcommand idv has, migrate first and alone run once; every
// stage of the pipeline has exactly one worker, playing that stage's role;
// the parts play every broker role once; their ops ports differ, so that
// they share a host.
func TestParts(t *testing.T) {
	t.Parallel()
	_, stages := commands(t)
	if len(Parts) == 0 || !Parts[0].Once || !slices.Equal(Parts[0].Args, []string{"migrate"}) {
		t.Fatalf("the first part is %+v, want idv migrate, run once", Parts[0])
	}
	workers := map[string]int{}
	roles := map[string]int{}
	ports := map[int]string{}
	for i, p := range Parts {
		where := "part " + p.Name
		checkCommandLine(t, where, p.Args, stages)
		if p.Once != (i == 0) {
			t.Errorf("%s: once %v; only migrate, first, runs once", where, p.Once)
		}
		if p.Args[0] == "worker" {
			if len(p.Args) != 2 || p.Name != "worker-"+p.Args[1] || p.Role != p.Args[1] {
				t.Errorf("%s: idv %v as role %q, want one stage, named worker-STAGE, playing the stage's role", where, p.Args, p.Role)
				continue
			}
			workers[p.Args[1]]++
		} else if p.Name != p.Args[0] {
			t.Errorf("%s runs idv %v; name it after its subcommand", where, p.Args)
		}
		if p.Role != "" {
			roles[p.Role]++
		}
		if p.Once != (p.OpsPort == 0) {
			t.Errorf("%s: ops port %d; every long-running part has one, migrate none", where, p.OpsPort)
		}
		if other, dup := ports[p.OpsPort]; dup && p.OpsPort != 0 {
			t.Errorf("%s and %s both on ops port %d", where, other, p.OpsPort)
		}
		ports[p.OpsPort] = p.Name
		if (p.HTTPPort != 0) != (p.Args[0] == "api") {
			t.Errorf("%s: HTTP port %d; the API alone has one", where, p.HTTPPort)
		}
		if p.Face != (p.Role == "facematch" || p.Role == "liveness") {
			t.Errorf("%s: face %v; the face match and liveness stages run the face engine", where, p.Face)
		}
	}
	var specs []idv.Stage
	for _, s := range stages {
		specs = append(specs, idv.Stage{Name: s})
		if workers[s] != 1 {
			t.Errorf("stage %s: %d workers, want 1", s, workers[s])
		}
	}
	all, err := broker.Roles(specs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range broker.RoleNames(all) {
		if roles[r] != 1 {
			t.Errorf("broker role %s: played by %d parts, want 1", r, roles[r])
		}
		delete(roles, r)
	}
	for r := range roles {
		if r != "" {
			t.Errorf("role %s is no broker role", r)
		}
	}
}

// imageTag is the tag of image ("nats:2.15-alpine" → "2.15-alpine").
func imageTag(image string) string {
	_, tag, _ := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
	return tag
}

// goModVersion is the version go.mod requires of module, without its v.
func goModVersion(t *testing.T, module string) string {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(module) + ` v(\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatalf("go.mod requires no %s", module)
	}
	return string(m[1])
}

// TestImages checks the images the layout names: every IDV container runs
// the one idv image; the NATS image (cluster and compose alike) is a
// release at least broker.MinServerVersion, the one go.mod pins for the
// embedded server TestLayout runs; versitygw's is the release go.mod pins
// for the embedded gateway; PostgreSQL's at least postgres.MinServerVersion.
func TestImages(t *testing.T) {
	t.Parallel()
	images := map[string][]string{} // image → where
	for _, o := range manifests(t) {
		for _, c := range o.Spec.Template.Spec.Containers {
			images[c.Image] = append(images[c.Image], o.Kind+" "+o.Metadata.Name)
		}
	}
	file := readCompose(t)
	for name, s := range file.Services {
		images[s.Image] = append(images[s.Image], "compose.yaml service "+name)
		if slices.Equal(s.Entrypoint, []string{"idv"}) && s.Image != idvImage {
			t.Errorf("compose.yaml service %s runs idv from %s, want %s", name, s.Image, idvImage)
		}
	}
	var nats []string
	for image, where := range images {
		switch repo, _, _ := strings.Cut(image, ":"); {
		case repo == "nats":
			nats = append(nats, image)
			tag := imageTag(image)
			release, _, _ := strings.Cut(tag, "-")
			if strings.Count(release, ".") == 1 {
				release += ".0" // 2.15: the newest 2.15.x, at least 2.15.0
			}
			if err := broker.CheckServerVersion(release); err != nil {
				t.Errorf("%s (%v): %v", image, where, err)
			}
			embedded := goModVersion(t, "github.com/nats-io/nats-server/v2")
			if mm := strings.Join(strings.Split(embedded, ".")[:2], "."); !strings.HasPrefix(release, mm+".") {
				t.Errorf("%s (%v): not the %s line of the embedded server go.mod pins (%s)", image, where, mm, embedded)
			}
		case repo == "versity/versitygw":
			if want := "v" + goModVersion(t, "github.com/versity/versitygw"); imageTag(image) != want {
				t.Errorf("%s (%v): want %s, the release go.mod pins for the embedded gateway", image, where, want)
			}
		case repo == "postgres":
			major, err := strconv.Atoi(strings.SplitN(imageTag(image), ".", 2)[0])
			if err != nil || major*10000 < postgres.MinServerVersion {
				t.Errorf("%s (%v): want PostgreSQL %d or later", image, where, postgres.MinServerVersion/10000)
			}
		case strings.Contains(repo, "idv") && image != idvImage:
			t.Errorf("%s (%v): want %s", image, where, idvImage)
		}
	}
	if len(nats) != 1 {
		t.Errorf("NATS images %v, want one, in the cluster and compose.yaml alike", nats)
	}
}
