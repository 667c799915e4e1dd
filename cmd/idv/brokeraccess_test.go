package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// refusedPublish publishes a forged decision with access's key of role, over
// core NATS and as a JetStream publish, each on a connection of its own,
// and fails unless the server refuses each as a permissions violation. A
// JetStream publish waits for an acknowledgement: it is cancelled once the
// refusal has arrived. When a publish returns first, a round trip to the
// server makes sure a refusal of it has been read.
func refusedPublish(t *testing.T, url string, access broker.Access, role string) {
	t.Helper()
	for _, how := range []struct {
		name string
		do   func(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, subject string) error
	}{
		{"publish", func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream, subject string) error {
			return nc.Publish(subject, []byte(`{"decision":"approved"}`))
		}},
		{"JetStream publish", func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream, subject string) error {
			_, err := js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: []byte(`{"decision":"approved"}`)}, jetstream.WithMsgID(subject))
			return err
		}},
	} {
		opts, err := access.Options(role)
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 8)
		opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
		nc, js, err := broker.Connect(t.Context(), url, "forger", opts...)
		if err != nil {
			t.Fatal(err)
		}
		decided := schemas.Subject(schemas.TypeSessionDecided, uuid.NewString())
		violation := func(err error) bool {
			return errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+decided+`"`)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- how.do(ctx, nc, js, decided) }()
	wait:
		for {
			select {
			case err := <-errs:
				if violation(err) {
					cancel()
					<-done
					break wait
				}
			case err := <-done:
				if ferr := nc.Flush(); ferr != nil {
					t.Fatal(ferr)
				}
				if last := nc.LastError(); !violation(last) {
					t.Errorf("%s of a forged decision as %s: not refused (%v, last error %v)", how.name, role, err, last)
				}
				break wait
			}
		}
		cancel()
		nc.Close()
	}
}

// `idv broker keys` makes a key per role of this pipeline and the users a
// nats-server reads from a configuration file. On a server started from
// that file, `idv migrate`'s operator declares, workers bind as their stages,
// and a stage's key cannot publish a decision.
func TestBrokerKeysCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	keys := []string{"broker", "keys", "--dir", dir, "--tls-hosts", "127.0.0.1,localhost"}
	if err := run(t.Context(), keys, &out, &errOut, env(nil)); err != nil {
		t.Fatalf("idv broker keys: %v\n%s", err, &errOut)
	}
	cert, err := os.ReadFile(filepath.Join(dir, "tls", "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roles, err := broker.Roles(specs(pipeline)...)
	if err != nil {
		t.Fatal(err)
	}
	names := broker.RoleNames(roles)
	if !slices.Contains(names, "operator") || !slices.Contains(names, "relay") || !slices.Contains(names, "decision") || len(names) != len(pipeline)+2 {
		t.Fatalf("roles %v: want operator, relay and every stage", names)
	}
	seeds := map[string]string{}
	for _, r := range names {
		b, err := os.ReadFile(filepath.Join(dir, "nkeys", r+".nk"))
		if err != nil || !bytes.HasPrefix(b, []byte("SU")) {
			t.Fatalf("seed of %s: %q %v", r, b, err)
		}
		seeds[r] = string(b)
	}
	if err := run(t.Context(), keys, &out, &errOut, env(nil)); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "tls", "tls.crt")); !bytes.Equal(again, cert) {
		t.Error("a second run with the same hosts replaced the certificate")
	}
	other := t.TempDir()
	if err := run(t.Context(), []string{"broker", "keys", "--dir", other, "--tls-hosts", "nats"}, &out, &errOut, env(nil)); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"broker", "keys", "--dir", other, "--tls-hosts", "nats2"}, &out, &errOut, env(nil)); err != nil ||
		!strings.Contains(out.String(), "a certificate for nats2") {
		t.Errorf("other hosts: %v\n%s; want a new certificate", err, &out)
	}
	for _, r := range names {
		if b, _ := os.ReadFile(filepath.Join(dir, "nkeys", r+".nk")); string(b) != seeds[r] {
			t.Errorf("a second run replaced the %s seed", r)
		}
	}
	users, err := os.ReadFile(filepath.Join(dir, "users.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for r, seed := range seeds {
		if bytes.Contains(users, bytes.TrimSpace([]byte(seed))) {
			t.Fatalf("users.conf holds the %s seed", r)
		}
	}

	// A server configured as production is (infra/nats/nats-server.conf
	// includes users.conf), without TLS or a cluster here.
	conf := filepath.Join(dir, "nats-server.conf")
	tlsDir := filepath.Join(dir, "tls")
	if err := os.WriteFile(conf, []byte("listen: 127.0.0.1:-1\njetstream { store_dir: "+filepath.Join(dir, "js")+" }\ninclude users.conf\n"+
		"tls { cert_file: \""+filepath.Join(tlsDir, "tls.crt")+"\", key_file: \""+filepath.Join(tlsDir, "tls.key")+"\" }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sopts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("users.conf: %v", err)
	}
	if len(sopts.Nkeys) != len(roles) {
		t.Fatalf("%d users in users.conf, want %d", len(sopts.Nkeys), len(roles))
	}
	for i, u := range sopts.Nkeys {
		r := roles[i]
		if u.Permissions == nil || !slices.Equal(u.Permissions.Publish.Allow, r.Publish) || !slices.Equal(u.Permissions.Subscribe.Allow, r.Subscribe) {
			t.Errorf("user %d (%s) in users.conf: %+v, want %+v", i, r.Name, u.Permissions, r)
		}
	}
	sopts.NoSigs, sopts.NoLog = true, true
	srv, err := server.NewServer(sopts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}

	ctx := t.Context()
	ca := filepath.Join(tlsDir, "ca.crt")
	cfg := config{NATSURL: srv.ClientURL(), NATSKeyDir: filepath.Join(dir, "nkeys"), NATSCAFile: ca, StreamReplicas: 1, StreamMaxAge: 24 * time.Hour}
	if !strings.HasPrefix(cfg.NATSURL, "tls://") {
		t.Fatalf("the server from the written files does not require TLS: %s", cfg.NATSURL)
	}
	if _, err := openBroker(ctx, config{NATSURL: cfg.NATSURL, NATSCAFile: ca}, "stranger"); err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Errorf("connect without a key: %v, want an authorization violation", err)
	}
	op, err := openBroker(ctx, cfg, "idv-migrate", broker.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if err := op.declare(ctx, cfg); err != nil {
		t.Fatalf("the operator declares: %v", err)
	}
	w, err := openBroker(ctx, cfg, "idv-worker", stageNames(pipeline)...)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := stageParts(ctx, pipeline, false, &stack{}, w, cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry()); err != nil {
		t.Fatalf("workers bind their consumers: %v", err)
	}
	if err := w.declare(ctx, cfg); err == nil {
		t.Error("a worker declared the stream")
	}
	for _, stage := range stageNames(pipeline) {
		refusedPublish(t, cfg.NATSURL, broker.Access{KeyDir: cfg.NATSKeyDir, CAFile: ca}, stage)
	}
	stream, err := op.js.Stream(ctx, broker.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := stream.Info(ctx); err != nil || info.State.Msgs != 0 {
		t.Fatalf("stream IDV after the forgeries: %+v %v, want empty", info, err)
	}
}

// IDV_NATS_TLS_CERT and IDV_NATS_TLS_KEY go together into the broker's
// Access; one without the other is refused at parse time.
func TestConfigBrokerClientCertificate(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"certificate only": {"IDV_NATS_TLS_CERT": "/etc/idv/nats-client/tls.crt"},
		"key only":         {"IDV_NATS_TLS_KEY": "/etc/idv/nats-client/tls.key"},
	} {
		if _, err := parseConfig(env(vars)); err == nil || !strings.Contains(err.Error(), "IDV_NATS_TLS_CERT and IDV_NATS_TLS_KEY") {
			t.Errorf("%s: %v, want an error naming both variables", name, err)
		}
	}
	c, err := parseConfig(env(map[string]string{"IDV_NATS_NKEY_DIR": "/etc/idv/nats", "IDV_NATS_TLS_CA": "/etc/idv/nats/ca.crt",
		"IDV_NATS_TLS_CERT": "/etc/idv/nats-client/tls.crt", "IDV_NATS_TLS_KEY": "/etc/idv/nats-client/tls.key"}))
	if err != nil {
		t.Fatal(err)
	}
	want := broker.Access{KeyDir: "/etc/idv/nats", CAFile: "/etc/idv/nats/ca.crt",
		CertFile: "/etc/idv/nats-client/tls.crt", KeyFile: "/etc/idv/nats-client/tls.key"}
	if got := c.brokerAccess(); got != want {
		t.Errorf("broker access %+v, want %+v", got, want)
	}
	if c, err := parseConfig(env(nil)); err != nil || c.brokerAccess() != (broker.Access{}) {
		t.Errorf("nothing set: broker access %+v (%v), want the zero Access", c.brokerAccess(), err)
	}
}

// `idv dev`'s embedded broker runs the production model, with mutual TLS:
// a stage's key, taken from the dev dir, cannot publish a decision; no
// client certificate, no TLS; no key, no entry.
func TestDevBrokerRefusesForgedDecision(t *testing.T) {
	mainURL := pgtest.NewURL(t)
	keysDB(t, mainURL)
	cfg, err := parseConfig(env(map[string]string{"DATABASE_URL": mainURL, "IDV_DEV_DIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	l, err := startLocal(t.Context(), cfg, io.Discard, func(string, ...any) {}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := l.Stop(); err != nil {
			t.Errorf("dev stopped with: %v", err)
		}
	}()
	if !strings.HasPrefix(l.cfg.NATSURL, "tls://127.0.0.1:") {
		t.Errorf("dev broker at %s: want TLS on loopback", l.cfg.NATSURL)
	}
	access := l.cfg.brokerAccess()
	if access.CertFile == "" || access.KeyFile == "" {
		t.Fatalf("dev broker access %+v: want a client certificate and its key", access)
	}
	for _, stage := range stageNames(pipeline) {
		refusedPublish(t, l.cfg.NATSURL, access, stage)
	}
	noCert, err := (broker.Access{KeyDir: access.KeyDir, CAFile: access.CAFile}).Options(broker.RoleRelay)
	if err != nil {
		t.Fatal(err)
	}
	// Refused in the handshake: the server's TLS alert, or the connection
	// closed right after it when the client wrote first (TLS 1.3).
	if _, err := nats.Connect(l.cfg.NATSURL, noCert...); err == nil || errors.Is(err, nats.ErrAuthorization) ||
		!(errors.Is(err, nats.ErrTLS) || strings.Contains(err.Error(), "remote error: tls: ")) {
		t.Errorf("connect to the dev broker with the relay's key and no client certificate: %v, want refused at the TLS handshake", err)
	}
	tlsOnly, err := (broker.Access{CAFile: access.CAFile, CertFile: access.CertFile, KeyFile: access.KeyFile}).Options("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nats.Connect(l.cfg.NATSURL, tlsOnly...); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("connect to the dev broker without a key: %v, want an authorization violation", err)
	}
	op, err := openBroker(t.Context(), l.cfg, "test", broker.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	stream, err := op.js.Stream(t.Context(), broker.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.GetLastMsgForSubject(t.Context(), schemas.TypeSessionDecided+".>"); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("a decision reached the dev stream: %v", err)
	}
}
