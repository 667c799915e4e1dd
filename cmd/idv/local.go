package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/infra/versitygw"
	"github.com/idv-oss/idv/infra/webhooksink"
	"github.com/idv-oss/idv/producers/tenant"
)

// local is the whole system running in this process on local state, as
// idv dev and idv loadgen run it: the parts of devEnv, the API, the ops
// endpoints, the relay, the retention round, every stage that can run here
// and a webhook receiver for the dev tenant.
type local struct {
	env  *devEnv
	cfg  config
	rcv  *webhooksink.Sink
	reg  *prometheus.Registry
	stop context.CancelFunc
	errc chan error
}

// layout is how idv loadgen spreads the system over processes and broker
// nodes (-workers, -nats-nodes); its zero value is idv dev's: one embedded
// NATS server and every stage in this process.
type layout struct {
	// natsNodes above 1 starts an embedded JetStream cluster of that many
	// nodes, the stream replicated on up to three of them.
	natsNodes int
	// noStages leaves the pipeline's stages to other processes (idv
	// worker): this one runs the API, the relay, the retention round and
	// the webhook receiver.
	noStages bool
}

// startLocal starts the system; say reports each part, hooks gets a line
// per verified webhook.
func startLocal(ctx context.Context, cfg config, hooks io.Writer, say func(string, ...any), log *slog.Logger) (*local, error) {
	return startLocalIn(ctx, cfg, layout{}, hooks, say, log)
}

// startLocalIn is startLocal laid out as lay says.
func startLocalIn(ctx context.Context, cfg config, lay layout, hooks io.Writer, say func(string, ...any), log *slog.Logger) (_ *local, err error) {
	env, err := startDev(ctx, &cfg, lay.natsNodes, say)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			env.Close()
		}
	}()
	apiLn, err := listen("IDV_HTTP_ADDR", first(cfg.HTTPAddr, "127.0.0.1:0"))
	if err != nil {
		return nil, err
	}
	opsLn, err := listen("IDV_OPS_ADDR", first(cfg.OpsAddr, "127.0.0.1:0"))
	if err != nil {
		return nil, err
	}
	hookLn, err := listen("webhook receiver", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg.PublicURL = first(cfg.PublicURL, scheme(cfg.TLSCert)+apiLn.Addr().String())
	cfg.WebhookAllowPrivate = true // the receiver is on loopback
	// A first look shows a processing record; production names its own
	// processor (IDV_PROCESSOR_…) or the record says what is missing.
	p := &cfg.Register.Processor
	p.Name = first(p.Name, "IDV development instance (set IDV_PROCESSOR_NAME)")
	p.Contact = first(p.Contact, "privacy@localhost (set IDV_PROCESSOR_CONTACT)")
	p.Country = first(p.Country, "NL")
	hookURL := "http://" + hookLn.Addr().String() + "/webhooks"
	if err := postgres.NewTenants(env.st.db).SetWebhookURL(ctx, env.tenant.TenantID, hookURL); err != nil {
		return nil, err
	}
	secret, err := idv.ParseSecret(env.tenant.WebhookSecret)
	if err != nil {
		return nil, err
	}
	rcv := webhooksink.New(secret, hooks)
	say("API at %s; /metrics, /healthz, /readyz at %s%s", cfg.PublicURL, scheme(cfg.Ops.TLSCert), opsLn.Addr())
	say("the dev tenant's webhooks go to %s, which checks their signatures", hookURL)
	if cfg.FaceDir == "" {
		say("face match and liveness not running: IDV_FACE_DIR is not set (IDV_FACE_DIR=\"$(scripts/face-models.sh)\" go tool task dev)")
	}
	reg := newRegistry()
	var parts []part
	if !lay.noStages {
		if parts, err = stageParts(ctx, pipeline, false, env.st, env.broker, cfg, log, reg); err != nil {
			return nil, err
		}
	}
	checks := env.st.checks()
	checks["nats"] = env.broker.check
	parts = append(parts, apiPart(apiLn, env.st, cfg, log, reg), opsPart(opsLn, reg, checks, cfg.Ops, log),
		relayPart(env.st, env.broker, cfg, log, reg), retentionPart(env.st, env.broker, cfg, log, reg),
		part{name: "webhook receiver", run: func(ctx context.Context) error { return serveHTTP(ctx, hookLn, rcv) }})
	partsCtx, stop := context.WithCancel(ctx)
	l := &local{env: env, cfg: cfg, rcv: rcv, reg: reg, stop: stop, errc: make(chan error, 1)}
	go func() { l.errc <- runParts(partsCtx, log, parts...) }()
	return l, nil
}

// Wait blocks until the parts stop (ctx cancelled or one failed), then
// closes what startDev opened.
func (l *local) Wait() error {
	err := <-l.errc
	l.env.Close()
	return err
}

// Stop stops the parts and waits for them.
func (l *local) Stop() error {
	l.stop()
	return l.Wait()
}

// devEnv is what idv dev starts before its parts: storage, databases, broker.
type devEnv struct {
	gw     *versitygw.Gateway
	nats   []*natsserver.Server // one, or the nodes of a cluster
	st     *stack
	broker *brokerConn
	tenant tenant.Created
}

// startDev starts the embedded S3 gateway and NATS server (a cluster of
// natsNodes when above 1), opens and migrates the databases and loads or
// creates the dev tenant. It fills in cfg with what it started.
func startDev(ctx context.Context, cfg *config, natsNodes int, say func(string, ...any)) (_ *devEnv, err error) {
	// The embedded gateway changes the working directory: resolve first.
	if cfg.DevDir, err = filepath.Abs(cfg.DevDir); err != nil {
		return nil, fmt.Errorf("dev dir: %w", err)
	}
	if err := os.MkdirAll(cfg.DevDir, 0o700); err != nil {
		return nil, fmt.Errorf("dev dir: %w", err)
	}
	master, err := devMasterKey(*cfg)
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL, cfg.KeyStoreURL, err = devDatabases(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	env := &devEnv{}
	defer func() {
		if err != nil {
			env.Close()
		}
	}()
	if env.gw, err = versitygw.Start(ctx, filepath.Join(cfg.DevDir, "objects")); err != nil {
		return nil, fmt.Errorf("embedded S3 gateway: %w", err)
	}
	say("S3 gateway (embedded versitygw) at %s, objects under %s", env.gw.Endpoint, filepath.Join(cfg.DevDir, "objects"))
	oc := env.gw.ObjectsConfig("idv-dev")
	cfg.S3 = s3Config{Endpoint: oc.Endpoint, Region: oc.Region, AccessKey: oc.AccessKey, SecretKey: oc.SecretKey, Bucket: oc.Bucket}
	var roleNames []string
	if env.nats, roleNames, err = startDevNATS(cfg, natsNodes, say); err != nil {
		return nil, err
	}
	main, keys, err := migrateAll(ctx, *cfg)
	if err != nil {
		return nil, err
	}
	if env.st, err = openStack(ctx, *cfg, master); err != nil {
		return nil, err
	}
	if err := env.st.objects.EnsureBucket(ctx); err != nil {
		return nil, err
	}
	say("PostgreSQL: main database (%d new migrations) and key store database (%d new)", len(main), len(keys))
	if env.broker, err = openBroker(ctx, *cfg, "idv-dev", roleNames...); err != nil {
		return nil, err
	}
	if err := env.broker.declare(ctx, *cfg); err != nil {
		return nil, err
	}
	// As idv api does at start, and before the dev tenant is made: an entry
	// listed when a tenant is created is marked seen, not announced to that
	// tenant by a later idv subprocessors sync.
	if n, err := syncRegister(ctx, env.st, cfg.Register); err != nil {
		return nil, err
	} else if n > 0 {
		say("%d sub-processor announcement(s) queued for the tenants' webhooks", n)
	}
	if env.tenant, err = devTenant(ctx, env.st, cfg.DevDir); err != nil {
		return nil, err
	}
	say("dev tenant %s (credentials in %s)", env.tenant.TenantID, filepath.Join(cfg.DevDir, "dev-tenant.json"))
	if err := writeDevEnv(*cfg, master); err != nil {
		return nil, err
	}
	say("databases, master key and store for idv tenant (offboarding too), audit, breach, support, subprocessors, doctor in %s", filepath.Join(cfg.DevDir, devEnvFile))
	return env, nil
}

// Close stops what startDev started, in reverse.
func (e *devEnv) Close() {
	if e.broker != nil {
		e.broker.Close()
	}
	if e.st != nil {
		e.st.Close()
	}
	for _, ns := range e.nats {
		ns.Shutdown()
	}
	if e.gw != nil {
		e.gw.Close()
	}
}

// startDevNATS starts the embedded broker and fills in cfg's NATS
// settings; it returns the servers and the broker roles to connect as.
// One server admits IDV's roles only, over TLS, as in production, and only
// clients with its client certificate (mutual TLS, an option in
// production): keys and certificates are new at each start. A cluster
// (natsNodes above 1, for idv loadgen -nats-nodes) is
// natsserver.StartCluster's, which admits any client on loopback without
// TLS, and the stream is replicated on up to three of its nodes.
func startDevNATS(cfg *config, natsNodes int, say func(string, ...any)) ([]*natsserver.Server, []string, error) {
	dir := filepath.Join(cfg.DevDir, "nats")
	if natsNodes > 1 {
		// A store left by an earlier cluster would name peers that are gone.
		if err := os.RemoveAll(dir + "-cluster"); err != nil {
			return nil, nil, fmt.Errorf("embedded NATS cluster: %w", err)
		}
		nodes, err := natsserver.StartCluster(dir+"-cluster", natsNodes)
		if err != nil {
			return nil, nil, fmt.Errorf("embedded NATS cluster: %w", err)
		}
		cfg.NATSURL, cfg.StreamReplicas = natsserver.ClientURLs(nodes), min(natsNodes, 3)
		cfg.NATSKeyDir, cfg.NATSCAFile, cfg.NATSCertFile, cfg.NATSKeyFile = "", "", "", ""
		say("NATS JetStream cluster of %d embedded nodes (fsync on every write) at %s, stream at R%d, store under %s; no TLS, no per-role keys",
			natsNodes, cfg.NATSURL, cfg.StreamReplicas, dir+"-cluster")
		return nodes, nil, nil
	}
	roles, err := broker.Roles(specs(pipeline)...)
	if err != nil {
		return nil, nil, err
	}
	natsOpts := natsserver.NewOptions(dir)
	natsOpts.Secure = &natsserver.Secure{Roles: roles, Dir: filepath.Join(cfg.DevDir, "nats-access"), VerifyClients: true}
	ns, err := natsserver.Start(natsOpts)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	access := ns.Access()
	cfg.NATSURL, cfg.NATSKeyDir, cfg.NATSCAFile = ns.ClientURL(), access.KeyDir, access.CAFile
	cfg.NATSCertFile, cfg.NATSKeyFile = access.CertFile, access.KeyFile
	say("NATS JetStream (embedded, fsync on every write) at %s, store under %s; mutual TLS, and a key per role made for this run in %s",
		cfg.NATSURL, dir, access.KeyDir)
	return []*natsserver.Server{ns}, broker.RoleNames(roles), nil
}

// devDatabases picks the main database and the key store on the server of
// serverURL: the database the URL names and <name>_keys, or idv_dev and
// idv_dev_keys when it names the server's default database. Both are created
// when missing.
func devDatabases(ctx context.Context, serverURL string) (main, keys string, err error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || name == "postgres" {
		name = "idv_dev"
	}
	if main, err = postgres.EnsureDatabase(ctx, serverURL, name); err != nil {
		return "", "", err
	}
	if keys, err = postgres.EnsureDatabase(ctx, serverURL, name+"_keys"); err != nil {
		return "", "", err
	}
	return main, keys, nil
}

// devMasterKey uses IDV_MASTER_KEY when set, else a key kept in the dev dir.
func devMasterKey(cfg config) (vault.MasterKey, error) {
	if cfg.MasterKey != "" {
		return cfg.masterKey()
	}
	return vault.LoadOrCreateMasterKeyFile(filepath.Join(cfg.DevDir, "master.key"))
}

// devTenant loads the dev tenant's credentials or creates the tenant. They
// are kept in the dev dir (0600) because the demo needs them again.
func devTenant(ctx context.Context, st *stack, dir string) (tenant.Created, error) {
	path := filepath.Join(dir, "dev-tenant.json")
	var dt tenant.Created
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &dt) == nil {
		if _, err := postgres.NewTenants(st.db).Get(ctx, dt.TenantID); err == nil {
			return dt, nil
		}
	}
	dt, err := tenant.Create(ctx, postgres.NewTenants(st.db), st.vault, tenant.Request{
		Name: "dev", WebhookURL: "http://127.0.0.1:9/idv-dev-webhooks", RetentionDays: 1,
		Fields: []string{"age_over_18", "document_valid", "document_type", "issuing_country"}, AllowSpecimen: true,
	})
	if err != nil {
		return dt, err
	}
	b, _ := json.MarshalIndent(dt, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return dt, fmt.Errorf("save dev tenant: %w", err)
	}
	return dt, nil
}
