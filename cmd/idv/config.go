package main

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idv-oss/idv/consumers/facematch"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/tlsconfig"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/producers/api"
	"github.com/idv-oss/idv/schemas"
)

// config is every IDV_… setting, parsed once. The configuration table in docs/operating.md
// table lists the same variables.
type config struct {
	DatabaseURL string // IDV_DATABASE_URL, else DATABASE_URL
	// MigrateURL is IDV_MIGRATE_DATABASE_URL: the main database as the
	// login that owns its tables, for migrations; DatabaseURL when unset.
	MigrateURL  string
	KeyStoreURL string // IDV_KEYSTORE_URL
	MasterKey   string // IDV_MASTER_KEY
	// MasterKeysOld is IDV_MASTER_KEYS_OLD: master keys the vault opens with
	// but never seals with, during a rotation (docs/operating.md).
	MasterKeysOld string
	HTTPAddr      string // IDV_HTTP_ADDR; api defaults to :8080, dev to a free loopback port
	OpsAddr       string // IDV_OPS_ADDR: /metrics, /healthz, /readyz; default one port per part (opsport.go), dev a free port
	TLSCert       string // IDV_TLS_CERT: PEM certificate chain of the API; with IDV_TLS_KEY, the API serves HTTPS
	TLSKey        string // IDV_TLS_KEY
	Ops           opsConfig
	AppTokenTTL   time.Duration
	UploadTTL     time.Duration
	// AuditCheckpointInterval is IDV_AUDIT_CHECKPOINT_INTERVAL: how long
	// after a tenant's last audit.checkpoint webhook the retention sweep
	// signs the next, if its audit chain grew since.
	AuditCheckpointInterval time.Duration
	S3                      s3Config
	// The pipeline.
	NATSURL             string         // IDV_NATS_URL (comma-separated for a cluster)
	NATSKeyDir          string         // IDV_NATS_NKEY_DIR: the nkey seed of each broker role played, <role>.nk
	NATSCAFile          string         // IDV_NATS_TLS_CA: the CA certificates of the NATS servers; TLS required
	NATSCertFile        string         // IDV_NATS_TLS_CERT, with IDV_NATS_TLS_KEY: the client certificate for mutual TLS
	NATSKeyFile         string         // IDV_NATS_TLS_KEY
	StreamReplicas      int            // IDV_STREAM_REPLICAS: 1 on one machine, 3 in production
	StreamMaxAge        time.Duration  // IDV_STREAM_MAX_AGE: at most the 28-day retention cap
	PublicURL           string         // IDV_PUBLIC_URL: the API's public base, for webhook hrefs
	WebhookAllowPrivate bool           // IDV_WEBHOOK_ALLOW_PRIVATE: development only
	WebhookRetryBase    time.Duration  // IDV_WEBHOOK_RETRY_BASE: first retry delay, doubling to 6 h
	FaceDir             string         // IDV_FACE_DIR: models and ONNX Runtime from scripts/face-models.sh
	TestImages          string         // IDV_TEST_IMAGES: the Debian test photos from scripts/test-images.sh (dev's second demo, loadgen -mode real)
	FaceThreshold       float64        // IDV_FACE_THRESHOLD: lowest cosine similarity for a face match
	LivenessTurn        float64        // IDV_LIVENESS_TURN_DEGREES: yaw a head turn must reach
	LivenessBlink       float64        // IDV_LIVENESS_BLINK: closure both eyes must reach for a blink
	LivenessPassive     bool           // IDV_LIVENESS_PASSIVE: run the advisory passive-liveness model on every frame
	StageConcurrency    int            // IDV_STAGE_CONCURRENCY: handlers at once per stage; 0 = per-stage default
	TenantRate          float64        // IDV_TENANT_RATE: API-key requests per second per tenant (burst twice that)
	AppRate             float64        // IDV_APP_RATE: requests per second per app token (burst three times that)
	CSCADir             string         // IDV_CSCA_DIR: trusted CSCA certificates and master lists for chip data
	DocImageChecks      bool           // IDV_DOCCHECK_IMAGE_CHECKS: quality gates and the printed MRZ read
	DocQuality          quality.Config // IDV_DOCCHECK_QUALITY: the quality gates' thresholds, name=value,…
	MaxImageMegapixels  int            // IDV_MAX_IMAGE_MEGAPIXELS: the largest image a stage decodes
	DevDir              string         // IDV_DEV_DIR
	LogFormat           string         // IDV_LOG_FORMAT: text or json
	// The processor's duties: IDV_PROCESSOR_…, IDV_SUBPROCESSORS_FILE,
	// IDV_SECURITY_MEASURES_FILE (register.go).
	Register schemas.Register
	// SubprocessorsFile is IDV_SUBPROCESSORS_FILE; the API rereads it when
	// it changes (liveRegister).
	SubprocessorsFile string
}

// opsConfig guards the ops endpoint (ops.Options).
type opsConfig struct {
	Token   string // IDV_OPS_TOKEN: bearer token /metrics requires; /healthz and /readyz stay open
	TLSCert string // IDV_OPS_TLS_CERT, with IDV_OPS_TLS_KEY: the ops endpoint serves HTTPS
	TLSKey  string // IDV_OPS_TLS_KEY
}

type s3Config struct {
	Endpoint, Region, AccessKey, SecretKey, Bucket string
	CAFile                                         string // IDV_S3_CA: PEM CAs the store's certificate must chain to
}

// parseConfig reads the environment through getenv and validates what every
// subcommand shares; subcommands check what they need beyond that.
func parseConfig(getenv func(string) string) (config, error) {
	c := config{
		DatabaseURL:   first(getenv("IDV_DATABASE_URL"), getenv("DATABASE_URL")),
		MigrateURL:    getenv("IDV_MIGRATE_DATABASE_URL"),
		KeyStoreURL:   getenv("IDV_KEYSTORE_URL"),
		MasterKey:     getenv("IDV_MASTER_KEY"),
		MasterKeysOld: getenv("IDV_MASTER_KEYS_OLD"),
		HTTPAddr:      getenv("IDV_HTTP_ADDR"),
		OpsAddr:       getenv("IDV_OPS_ADDR"),
		TLSCert:       getenv("IDV_TLS_CERT"),
		TLSKey:        getenv("IDV_TLS_KEY"),
		Ops:           opsConfig{Token: getenv("IDV_OPS_TOKEN"), TLSCert: getenv("IDV_OPS_TLS_CERT"), TLSKey: getenv("IDV_OPS_TLS_KEY")},
		S3: s3Config{
			Endpoint:  getenv("IDV_S3_ENDPOINT"),
			Region:    first(getenv("IDV_S3_REGION"), "us-east-1"),
			AccessKey: getenv("IDV_S3_ACCESS_KEY"),
			SecretKey: getenv("IDV_S3_SECRET_KEY"),
			Bucket:    first(getenv("IDV_S3_BUCKET"), "idv-captures"),
			CAFile:    getenv("IDV_S3_CA"),
		},
		NATSURL:             getenv("IDV_NATS_URL"),
		NATSKeyDir:          getenv("IDV_NATS_NKEY_DIR"),
		NATSCAFile:          getenv("IDV_NATS_TLS_CA"),
		NATSCertFile:        getenv("IDV_NATS_TLS_CERT"),
		NATSKeyFile:         getenv("IDV_NATS_TLS_KEY"),
		FaceDir:             getenv("IDV_FACE_DIR"),
		TestImages:          getenv("IDV_TEST_IMAGES"),
		CSCADir:             getenv("IDV_CSCA_DIR"),
		PublicURL:           strings.TrimRight(getenv("IDV_PUBLIC_URL"), "/"),
		WebhookAllowPrivate: getenv("IDV_WEBHOOK_ALLOW_PRIVATE") == "true",
		DocImageChecks:      getenv("IDV_DOCCHECK_IMAGE_CHECKS") != "false",
		LivenessPassive:     getenv("IDV_LIVENESS_PASSIVE") == "true",
		DevDir:              first(getenv("IDV_DEV_DIR"), ".idv"),
		LogFormat:           first(getenv("IDV_LOG_FORMAT"), "text"),
	}
	if err := tlsconfig.Pair("IDV_TLS_CERT", c.TLSCert, "IDV_TLS_KEY", c.TLSKey); err != nil {
		return c, err
	}
	if err := tlsconfig.Pair("IDV_OPS_TLS_CERT", c.Ops.TLSCert, "IDV_OPS_TLS_KEY", c.Ops.TLSKey); err != nil {
		return c, err
	}
	if (c.NATSCertFile == "") != (c.NATSKeyFile == "") {
		return c, fmt.Errorf("IDV_NATS_TLS_CERT and IDV_NATS_TLS_KEY must be set together (PEM files of the client certificate and its private key, for a broker that verifies its clients), or neither")
	}
	var err error
	if c.AppTokenTTL, err = duration(getenv, "IDV_APP_TOKEN_TTL", time.Hour, time.Minute, 24*time.Hour); err != nil {
		return c, err
	}
	if c.UploadTTL, err = duration(getenv, "IDV_UPLOAD_TTL", 15*time.Minute, time.Minute, time.Hour); err != nil {
		return c, err
	}
	if c.AuditCheckpointInterval, err = duration(getenv, "IDV_AUDIT_CHECKPOINT_INTERVAL", 24*time.Hour, time.Minute, 168*time.Hour); err != nil {
		return c, err
	}
	if c.StreamMaxAge, err = duration(getenv, "IDV_STREAM_MAX_AGE", 28*24*time.Hour, time.Hour, 28*24*time.Hour); err != nil {
		return c, err
	}
	if c.WebhookRetryBase, err = duration(getenv, "IDV_WEBHOOK_RETRY_BASE", time.Minute, time.Second, time.Hour); err != nil {
		return c, err
	}
	if c.StreamReplicas, err = intIn(getenv, "IDV_STREAM_REPLICAS", 1, 1, 5); err != nil {
		return c, err
	}
	if c.StageConcurrency, err = intIn(getenv, "IDV_STAGE_CONCURRENCY", 0, 1, 256); err != nil {
		return c, err
	}
	if c.TenantRate, err = floatIn(getenv, "IDV_TENANT_RATE", api.DefaultTenantRate, 1, 1e6); err != nil {
		return c, err
	}
	if c.AppRate, err = floatIn(getenv, "IDV_APP_RATE", api.DefaultAppRate, 0.1, 1e4); err != nil {
		return c, err
	}
	if c.DocQuality, err = quality.ParseSettings(getenv("IDV_DOCCHECK_QUALITY")); err != nil {
		return c, fmt.Errorf("IDV_DOCCHECK_QUALITY: %w", err)
	}
	if c.MaxImageMegapixels, err = intIn(getenv, "IDV_MAX_IMAGE_MEGAPIXELS", imagegate.DefaultMaxPixels/1_000_000, 1, 200); err != nil {
		return c, err
	}
	if c.FaceThreshold, err = floatIn(getenv, "IDV_FACE_THRESHOLD", facematch.DefaultThreshold, 0.05, 0.95); err != nil {
		return c, err
	}
	if c.LivenessTurn, err = floatIn(getenv, "IDV_LIVENESS_TURN_DEGREES", challenge.DefaultTurnYaw, 5, 60); err != nil {
		return c, err
	}
	if c.LivenessBlink, err = floatIn(getenv, "IDV_LIVENESS_BLINK", challenge.DefaultBlink, 0.05, 0.99); err != nil {
		return c, err
	}
	for _, name := range []string{"IDV_WEBHOOK_ALLOW_PRIVATE", "IDV_DOCCHECK_IMAGE_CHECKS", "IDV_LIVENESS_PASSIVE"} {
		if v := getenv(name); v != "" && v != "true" && v != "false" {
			return c, fmt.Errorf("%s must be true or false, not %q", name, v)
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("IDV_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	if c.Register, err = parseRegister(getenv); err != nil {
		return c, err
	}
	c.SubprocessorsFile = getenv("IDV_SUBPROCESSORS_FILE")
	return c, nil
}

// brokerAccess is how this process connects to the broker: IDV_NATS_NKEY_DIR,
// IDV_NATS_TLS_CA, IDV_NATS_TLS_CERT and IDV_NATS_TLS_KEY.
func (c config) brokerAccess() broker.Access {
	return broker.Access{KeyDir: c.NATSKeyDir, CAFile: c.NATSCAFile, CertFile: c.NATSCertFile, KeyFile: c.NATSKeyFile}
}

// requireServices checks the settings a production process needs.
func (c config) requireServices() error {
	var missing []string
	for name, v := range map[string]string{
		"IDV_DATABASE_URL (or DATABASE_URL)": c.DatabaseURL, "IDV_KEYSTORE_URL": c.KeyStoreURL,
		"IDV_MASTER_KEY": c.MasterKey, "IDV_S3_ENDPOINT": c.S3.Endpoint,
		"IDV_S3_ACCESS_KEY": c.S3.AccessKey, "IDV_S3_SECRET_KEY": c.S3.SecretKey,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing configuration: %s (see the configuration table in docs/operating.md; `idv dev` needs none of them)",
			strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	if c.KeyStoreURL == c.DatabaseURL {
		return fmt.Errorf("IDV_KEYSTORE_URL must name a database apart from the main one, so that a dump of one never holds what opens the other")
	}
	return nil
}

// duration reads a duration setting: a Go duration (30m) or whole seconds.
func duration(getenv func(string) string, name string, def, lo, hi time.Duration) (time.Duration, error) {
	return setting(getenv, name, def, lo, hi, parseDuration, fmt.Sprintf("a duration between %s and %s, e.g. 30m", lo, hi))
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		if secs, err2 := strconv.Atoi(v); err2 == nil {
			return time.Duration(secs) * time.Second, nil
		}
	}
	return d, err
}

func intIn(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	return setting(getenv, name, def, lo, hi, strconv.Atoi, fmt.Sprintf("a whole number from %d to %d", lo, hi))
}

func floatIn(getenv func(string) string, name string, def, lo, hi float64) (float64, error) {
	return setting(getenv, name, def, lo, hi, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) },
		fmt.Sprintf("a number from %g to %g", lo, hi))
}

// setting reads the variable name with parse, def when it is unset; a value
// parse refuses or outside lo..hi is an error saying what is wanted.
func setting[T cmp.Ordered](getenv func(string) string, name string, def, lo, hi T, parse func(string) (T, error), want string) (T, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	x, err := parse(v)
	if err != nil || x < lo || x > hi {
		var zero T
		return zero, fmt.Errorf("%s=%q: want %s", name, v, want)
	}
	return x, nil
}

// first returns the first of vs that is not the zero value.
func first[T comparable](vs ...T) T {
	var zero T
	for _, v := range vs {
		if v != zero {
			return v
		}
	}
	return zero
}

// requireDatabases checks the settings of commands that touch both databases.
func (c config) requireDatabases() error {
	if c.DatabaseURL == "" || c.KeyStoreURL == "" || c.MasterKey == "" {
		return fmt.Errorf("needs IDV_DATABASE_URL (or DATABASE_URL), IDV_KEYSTORE_URL and IDV_MASTER_KEY (see docs/operating.md)")
	}
	return nil
}

// masterKey parses IDV_MASTER_KEY.
func (c config) masterKey() (vault.MasterKey, error) {
	k, err := vault.ParseMasterKey(c.MasterKey)
	if err != nil {
		return k, fmt.Errorf("IDV_MASTER_KEY: %w", err)
	}
	return k, nil
}

// vaultOptions parses IDV_MASTER_KEYS_OLD into the vault's options.
func (c config) vaultOptions() ([]vault.Option, error) {
	old, err := vault.ParseMasterKeys(c.MasterKeysOld)
	if err != nil {
		return nil, fmt.Errorf("IDV_MASTER_KEYS_OLD: %w", err)
	}
	return []vault.Option{vault.WithOldMasterKeys(old...)}, nil
}

// maxPixels is IDV_MAX_IMAGE_MEGAPIXELS in pixels.
func (c config) maxPixels() int64 { return int64(c.MaxImageMegapixels) * 1_000_000 }

// challenge is how the liveness stage measures and judges frames:
// IDV_LIVENESS_TURN_DEGREES, IDV_LIVENESS_BLINK and IDV_LIVENESS_PASSIVE.
func (c config) challenge() challenge.Config {
	return challenge.Config{TurnYaw: c.LivenessTurn, Blink: c.LivenessBlink, Passive: c.LivenessPassive}
}
