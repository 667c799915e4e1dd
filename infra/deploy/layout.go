// Package deploy describes IDV's production layout once — the parts (Parts),
// each with the command it runs, its ports, its broker role, and the
// settings every part reads (Site.Env) — and holds what is made for it: the
// image (Dockerfile), kubernetes/ for a cluster and compose.yaml for a
// laptop. Nothing here runs them. Its tests hold each file to this
// description and check what a typo would break unnoticed: each part runs a
// real subcommand with the settings described, has both probes and resource
// limits, reads only configuration the README documents, NATS keeps syncing
// every write and admits only the broker's roles over TLS, each pod holds
// only its own role's key, the NetworkPolicies let through only what IDV
// needs, and the image builds as the tests build it. cmd/idv's TestLayout
// starts the same parts as processes on one host and runs a verification
// through them.
package deploy

import (
	"maps"
	"strconv"

	"github.com/idv-oss/idv/infra/broker"
)

// Part is one process of the layout: a Deployment (or, run once, a Job) in
// kubernetes/, a service in compose.yaml, a process in cmd/idv's TestLayout.
type Part struct {
	// Name is the compose service; the Kubernetes object is Object().
	Name string
	// Args is the command line after `idv`.
	Args []string
	// Once marks the part that runs to completion before every other
	// starts: `idv migrate`, a Job, a compose service the others wait for.
	Once bool
	// OpsPort is the default port of its /metrics, /healthz and /readyz
	// (cmd/idv/opsport.go): distinct per part, so that the parts share a
	// host without IDV_OPS_ADDR. 0 for a part that serves none.
	OpsPort int
	// HTTPPort is the API's port (IDV_HTTP_ADDR's default); 0 for the others.
	HTTPPort int
	// Role is the broker role the part plays (infra/broker, Roles), whose
	// key it alone holds; "" for a part that does not connect to NATS.
	Role string
	// Face marks the parts that run the face engine: they read IDV_FACE_DIR.
	Face bool
}

// Object is the name of the part's Deployment or Job in kubernetes/.
func (p Part) Object() string { return "idv-" + p.Name }

// Parts are the processes of the layout in the order they start: migrate,
// then the long-running ones. Each stage of the pipeline
// (cmd/idv/stages.go) runs as a worker of its own, so that each scales
// alone and holds its stage's broker key only.
var Parts = []Part{
	{Name: "migrate", Args: []string{"migrate"}, Once: true, Role: broker.RoleOperator},
	{Name: "api", Args: []string{"api"}, OpsPort: 9090, HTTPPort: 8080},
	{Name: "relay", Args: []string{"relay"}, OpsPort: 9091, Role: broker.RoleRelay},
	{Name: "retention", Args: []string{"retention"}, OpsPort: 9092},
	worker("doccheck", 9094, false),
	worker("facematch", 9095, true),
	worker("liveness", 9096, true),
	worker("decision", 9097, false),
	worker("notify", 9098, false),
	worker("wipe", 9099, false),
}

// worker is the part running one stage, as that stage's broker role.
func worker(stage string, opsPort int, face bool) Part {
	return Part{Name: "worker-" + stage, Args: []string{"worker", stage}, OpsPort: opsPort, Role: stage, Face: face}
}

// FaceDir is where the image keeps the face engine's models and ONNX
// Runtime (the Dockerfile's face stage), and so the IDV_FACE_DIR of the
// parts that run it.
const FaceDir = "/opt/idv/face"

// Site is where one layout's dependencies answer and its files lie: what
// differs between a cluster, compose.yaml and processes on one host.
type Site struct {
	DatabaseURL string // IDV_DATABASE_URL
	KeyStoreURL string // IDV_KEYSTORE_URL
	MasterKey   string // IDV_MASTER_KEY
	NATSURL     string // IDV_NATS_URL
	// NATSKeyDir is where a part finds its broker role's key
	// (IDV_NATS_NKEY_DIR), NATSCA the CA of the NATS servers
	// (IDV_NATS_TLS_CA).
	NATSKeyDir, NATSCA string
	StreamReplicas     int // IDV_STREAM_REPLICAS
	S3Endpoint         string
	S3Region           string // IDV_S3_REGION; "" keeps the default
	S3Bucket           string
	S3AccessKey        string
	S3SecretKey        string
	PublicURL          string // IDV_PUBLIC_URL
	FaceDir            string // IDV_FACE_DIR of the parts that run the face engine
	LogFormat          string // IDV_LOG_FORMAT
	// OpsAddr is IDV_OPS_ADDR for every part; "" leaves each part its
	// own default port (Part.OpsPort).
	OpsAddr string
	// WebhookAllowPrivate is IDV_WEBHOOK_ALLOW_PRIVATE: development only.
	WebhookAllowPrivate bool
}

// Secrets are the settings a cluster keeps in Secret idv-secrets, never in
// ConfigMap idv-config.
var Secrets = []string{"IDV_DATABASE_URL", "IDV_KEYSTORE_URL", "IDV_MASTER_KEY", "IDV_S3_ACCESS_KEY", "IDV_S3_SECRET_KEY"}

// Env is part p's environment at site s: the settings every part shares
// (IDV_S3_REGION, IDV_OPS_ADDR and IDV_WEBHOOK_ALLOW_PRIVATE only where the
// site sets them), and IDV_FACE_DIR for a part that runs the face engine.
// The parts that play no broker role read no IDV_NATS_… setting, but a
// cluster's ConfigMap and compose's shared environment give them every
// setting alike.
func (s Site) Env(p Part) map[string]string {
	env := map[string]string{
		"IDV_DATABASE_URL":    s.DatabaseURL,
		"IDV_KEYSTORE_URL":    s.KeyStoreURL,
		"IDV_MASTER_KEY":      s.MasterKey,
		"IDV_NATS_URL":        s.NATSURL,
		"IDV_NATS_NKEY_DIR":   s.NATSKeyDir,
		"IDV_NATS_TLS_CA":     s.NATSCA,
		"IDV_STREAM_REPLICAS": strconv.Itoa(s.StreamReplicas),
		"IDV_S3_ENDPOINT":     s.S3Endpoint,
		"IDV_S3_BUCKET":       s.S3Bucket,
		"IDV_S3_ACCESS_KEY":   s.S3AccessKey,
		"IDV_S3_SECRET_KEY":   s.S3SecretKey,
		"IDV_PUBLIC_URL":      s.PublicURL,
		"IDV_LOG_FORMAT":      s.LogFormat,
	}
	optional := map[string]string{"IDV_S3_REGION": s.S3Region, "IDV_OPS_ADDR": s.OpsAddr}
	if s.WebhookAllowPrivate {
		optional["IDV_WEBHOOK_ALLOW_PRIVATE"] = "true"
	}
	if p.Face {
		optional["IDV_FACE_DIR"] = s.FaceDir
	}
	maps.DeleteFunc(optional, func(_, v string) bool { return v == "" })
	maps.Copy(env, optional)
	return env
}
