package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/deploy"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/infra/webhooksink"
	"github.com/idv-oss/idv/schemas"
)

// The layout's description (infra/deploy.Parts) holds to the code: a
// worker per stage of the pipeline, the parts play every broker role once,
// and each long-running part's ops port is the default this binary gives
// it (opsport.go), the API's HTTP port the default of idv api.
func TestLayoutDescription(t *testing.T) {
	t.Parallel()
	roles, err := broker.Roles(specs(pipeline)...)
	if err != nil {
		t.Fatal(err)
	}
	var played, workers []string
	for _, p := range deploy.Parts {
		if p.Role != "" {
			played = append(played, p.Role)
		}
		name, rest := p.Args[0], p.Args[1:]
		if name == "worker" {
			if _, err := parseStages(rest); err != nil {
				t.Errorf("part %s: %v", p.Name, err)
			}
			workers = append(workers, rest...)
		}
		if p.Once {
			continue
		}
		if got := defaultOpsAddr(name, rest); got != ":"+strconv.Itoa(p.OpsPort) {
			t.Errorf("part %s: ops port %d, idv %v defaults to %s", p.Name, p.OpsPort, p.Args, got)
		}
		if name == "api" && p.HTTPPort != 8080 {
			t.Errorf("part %s: HTTP port %d, idv api defaults to :8080", p.Name, p.HTTPPort)
		}
	}
	if want := broker.RoleNames(roles); !slices.Equal(slices.Sorted(slices.Values(played)), slices.Sorted(slices.Values(want))) {
		t.Errorf("the parts play roles %v, want each of %v once", played, want)
	}
	if !slices.Equal(workers, stageNames(pipeline)) {
		t.Errorf("workers for stages %v, want one per stage of the pipeline %v, in order", workers, stageNames(pipeline))
	}
}

// layoutPart is a part of the layout running as a process on this host.
type layoutPart struct {
	deploy.Part
	*proc
	vars     map[string]string // its environment, but for the addresses it listens on
	httpAddr string            // the API's IDV_HTTP_ADDR
	note     string            // which ports it got, and why
}

// TestLayout starts the production layout as processes on this host, as
// the manifests and compose.yaml run it but without containers: the idv
// binary built by the image's own go build line (deploy.ImageBuild); `idv
// broker keys` as compose's broker-access; a NATS server configured from
// infra/nats/nats-server.conf (TLS, the roles' nkeys, sync on every
// write), on loopback and without its cluster; the embedded versitygw with
// a versioning directory and the bucket's versioning on, as compose's
// s3-bucket leaves it; real PostgreSQL. Every part gets the environment the
// description gives it (deploy.Site.Env) with compose's host names
// translated to this host's addresses and nothing else, and, as a pod's
// volume would, a directory holding its own broker key and the CA only.
// `idv migrate` first, a tenant made with `idv tenant create`, `idv doctor`
// (every check passes); then the API, the relay, retention and one worker
// per stage, each ready by its /readyz, each on its default ops port where
// that is free on loopback. Then one verification as a customer and an app
// do it: the session made with the tenant's API key, the captures sealed
// and uploaded, submitted, and the signed session.decided webhook
// (approved) received; the customer's erasure ends in a session.deleted
// webhook with no version and no delete marker of the session left in the
// bucket. Last, every part stops on SIGTERM and exits 0.
func TestLayout(t *testing.T) {
	t.Parallel() // mostly waiting on subprocesses
	if testing.Short() {
		t.Skip("the layout as processes: not with -short")
	}
	ctx := t.Context()
	dir := t.TempDir()
	mainURL, keysURL := pgtest.NewURL(t), pgtest.NewURL(t)
	built := time.Now()
	bin := buildImageBinary(t)
	began := time.Now()
	once := func(env map[string]string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = environ(env)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("idv %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	// broker-access: every role's key, users.conf and a CA with a
	// certificate for the address the parts reach NATS at.
	access := filepath.Join(dir, "access")
	once(nil, "broker", "keys", "--dir", access, "--tls-hosts", "127.0.0.1")
	natsURL := startProductionNATS(t, access)

	// s3 and s3-bucket: a gateway that keeps versions, a bucket with
	// versioning on; idv migrate finds it there.
	store := s3test.NewVersionedStore(t)
	s3 := s3test.Gateway().ObjectsConfig(store.Bucket())

	// The customer's webhook endpoint; it learns the secret once the
	// tenant exists.
	sink := webhooksink.New(nil, io.Discard)
	hooks := httptest.NewServer(sink)
	t.Cleanup(hooks.Close)

	masterKey := strings.TrimSpace(once(nil, "keygen"))
	var apiPart deploy.Part
	for _, p := range deploy.Parts {
		if p.HTTPPort != 0 {
			apiPart = p
		}
	}
	apiAddr, apiNote := loopbackAddr(t, apiPart.HTTPPort)
	// compose.yaml's site, translated: postgres → the test's two
	// databases, nats → the server above, s3 → the embedded gateway,
	// localhost:8080 → the API's address here.
	site := deploy.Site{
		DatabaseURL: mainURL, KeyStoreURL: keysURL, MasterKey: masterKey,
		NATSURL: natsURL, NATSKeyDir: filepath.Join(access, "nkeys"), NATSCA: filepath.Join(access, "tls", "ca.crt"), StreamReplicas: 1,
		S3Endpoint: s3.Endpoint, S3Bucket: s3.Bucket, S3AccessKey: s3.AccessKey, S3SecretKey: s3.SecretKey,
		PublicURL: "http://" + apiAddr, FaceDir: os.Getenv("IDV_FACE_DIR"), LogFormat: "text", WebhookAllowPrivate: true,
	}
	if s3.Region != "us-east-1" {
		site.S3Region = s3.Region // compose.yaml relies on the default
	}

	var migrate *layoutPart
	var parts []*layoutPart
	for _, p := range deploy.Parts {
		if p.Face && site.FaceDir == "" {
			if os.Getenv("IDV_REQUIRE_FACE") != "" {
				t.Fatalf("part %s needs the face models: IDV_REQUIRE_FACE is set but IDV_FACE_DIR is not (scripts/face-models.sh)", p.Name)
			}
			t.Logf("part %s not started: IDV_FACE_DIR is not set (scripts/face-models.sh); the verification runs the document check only", p.Name)
			continue
		}
		lp := &layoutPart{Part: p, vars: site.Env(p)}
		lp.vars["IDV_NATS_NKEY_DIR"], lp.vars["IDV_NATS_TLS_CA"] = mountAccess(t, access, filepath.Join(dir, "mounts", p.Name), p.Role)
		if p.Once {
			migrate = lp
			continue
		}
		lp.proc = &proc{t: t, bin: bin, args: p.Args, logs: filepath.Join(dir, p.Name+".log")}
		t.Cleanup(lp.kill)
		if p.HTTPPort != 0 {
			lp.httpAddr = apiAddr
		}
		parts = append(parts, lp)
	}

	out := once(migrate.vars, migrate.Args...)
	for _, want := range []string{"S3: bucket " + s3.Bucket + " already there", "JetStream: stream IDV (1 replica(s), max age 672h0m0s) declared, created",
		"JetStream: consumers " + fmt.Sprint(stageNames(pipeline)) + " declared, all created"} {
		if !strings.Contains(out, want) {
			t.Errorf("idv migrate: no %q in\n%s", want, out)
		}
	}
	// The operator's commands, with migrate's settings and every role's
	// key, as nats-access holds them.
	operator := site.Env(migrate.Part)
	out = once(operator, "tenant", "create", "--name", "Layout", "--webhook-url", hooks.URL+"/webhooks", "--retention-days", "1", "--fields", "document_valid")
	m := regexp.MustCompile(`tenant created: (\S+)[\s\S]*API key:\s+(\S+)\s+webhook secret:\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("idv tenant create printed:\n%s", out)
	}
	tenantID, apiKey := m[1], m[2]
	secret, err := idv.ParseSecret(m[3])
	if err != nil {
		t.Fatal(err)
	}
	sink.SetSecret(secret)
	// The generated document is a specimen's, which a tenant refuses
	// unless its policy accepts them.
	once(operator, "tenant", "policy", "set", "--tenant", tenantID, "--allow-specimen=true")
	report := once(operator, "doctor")
	summary := regexp.MustCompile(`^\d+ OK, 0 failed, 0 warning\(s\)$`)
	for _, l := range strings.Split(strings.TrimSpace(report), "\n") {
		if !strings.HasPrefix(l, "OK    ") && !strings.HasPrefix(l, "SKIP  S3 lifecycle backstop: ") && !summary.MatchString(l) {
			t.Errorf("idv doctor on the layout migrate prepared: %q", l)
		}
	}

	var ports []string
	for _, p := range parts {
		p.start(t)
		ports = append(ports, p.Name+" "+p.note)
	}
	t.Logf("API %s (%s); ops ports: %s", apiAddr, apiNote, strings.Join(ports, "; "))

	// One verification, as the customer and the app do it.
	api := site.PublicURL
	client := &http.Client{Timeout: time.Minute}
	var created struct {
		ID       string `json:"id"`
		AppToken string `json:"app_token"`
	}
	if err := loadgen.Call(ctx, client, http.MethodPost, api+"/v1/sessions", apiKey, nil, &created); err != nil {
		t.Fatalf("create a session: %v", err)
	}
	decided := sink.Await(created.ID, schemas.WebhookSessionDecided)
	deleted := sink.Await(created.ID, schemas.WebhookSessionDeleted)
	app := appclient.New(api, created.AppToken, nil)
	sess, err := app.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	frames := 1
	for _, s := range sess.Slots {
		if s.Kind == schemas.Selfie {
			frames = max(s.Min, 1)
		}
	}
	captures, err := loadgen.SpecimenCaptures(frames)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SealAndUpload(ctx, sess, captures, nil); err != nil {
		t.Fatalf("upload: %v", err)
	}
	if _, err := app.Submit(ctx); err != nil {
		t.Fatalf("submit: %v", err)
	}
	hook := awaitLayoutHook(t, decided, schemas.WebhookSessionDecided, parts)
	if hook.Data.SessionID != created.ID || hook.Data.TenantID != tenantID || hook.Data.Decision != "approved" {
		t.Fatalf("session.decided webhook %+v: want session %s of tenant %s approved", hook.Data, created.ID, tenantID)
	}
	var got struct {
		Status   string `json:"status"`
		Decision string `json:"decision"`
	}
	if err := loadgen.Call(ctx, client, http.MethodGet, api+"/v1/sessions/"+created.ID, apiKey, nil, &got); err != nil || got.Status != "decided" || got.Decision != "approved" {
		t.Fatalf("GET the session: %+v %v, want decided, approved", got, err)
	}

	// The customer's erasure: the wipe deletes every version, on a bucket
	// that keeps them.
	prefix := schemas.SessionPrefix(tenantID, created.ID)
	if before := s3test.Entries(t, store, prefix); len(before) < len(captures) {
		t.Fatalf("before the erasure the bucket holds %v under %s, want every capture", before, prefix)
	}
	if err := loadgen.Call(ctx, client, http.MethodDelete, api+"/v1/sessions/"+created.ID, apiKey, nil, nil); err != nil {
		t.Fatalf("erasure: %v", err)
	}
	awaitLayoutHook(t, deleted, schemas.WebhookSessionDeleted, parts)
	if left := s3test.Entries(t, store, prefix); len(left) != 0 {
		t.Errorf("after the wipe the bucket still holds %v", left)
	}

	// An orchestrator stopping the parts: each drains and exits 0.
	for _, p := range slices.Backward(parts) {
		if err := p.terminate(); err != nil {
			t.Errorf("part %s on SIGTERM: %v\n%s", p.Name, err, p.tail())
		}
	}
	t.Logf("idv built as the image builds it in %s; then the layout of %d parts (migrate, then %d long-running) started, a verification approved and erased, the parts stopped in %s",
		began.Sub(built).Round(100*time.Millisecond), len(parts)+1, len(parts), time.Since(began).Round(100*time.Millisecond))
}

// buildImageBinary builds idv as the image does: the Dockerfile's go build
// line, run in the module root.
func buildImageBinary(t *testing.T) string {
	t.Helper()
	b, err := deploy.ImageBuild()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "idv")
	cmd := exec.Command("go", b.Args(out)...)
	cmd.Dir, cmd.Env = "../..", append(os.Environ(), b.Env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s (the Dockerfile's): %v\n%s", strings.Join(b.Args(out), " "), err, msg)
	}
	return out
}

// environ is vars as a process's whole environment: a part gets its
// settings and nothing of the test's.
func environ(vars map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// startProductionNATS runs a server configured from
// infra/nats/nats-server.conf, reading users.conf and tls/ from access as
// the file reads them from /etc/nats: TLS required, only the roles' nkeys,
// JetStream syncing every write. Loopback and alone: its client port on a
// free loopback port, no monitoring port, no cluster (so IDV_STREAM_REPLICAS
// is 1), its store in a temporary directory. It returns its tls:// URL.
func startProductionNATS(t *testing.T, access string) string {
	t.Helper()
	raw, err := os.ReadFile("../../infra/nats/nats-server.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(access, "nats-server.conf")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(string(raw), "/etc/nats/", access+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("infra/nats/nats-server.conf: %v", err)
	}
	if !opts.SyncAlways || opts.TLSConfig == nil || len(opts.Nkeys) == 0 {
		t.Fatalf("infra/nats/nats-server.conf: sync always %v, TLS %v, %d nkey users; want the production model", opts.SyncAlways, opts.TLSConfig != nil, len(opts.Nkeys))
	}
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", server.RANDOM_PORT, 0
	opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	opts.StoreDir, opts.NoSigs, opts.NoLog = t.TempDir(), true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(30 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	if url := srv.ClientURL(); strings.HasPrefix(url, "tls://") {
		return url
	}
	t.Fatalf("NATS server at %s: want tls://", srv.ClientURL())
	return ""
}

// mountAccess makes dir what a pod's volume nats-access holds: the key of
// role (none for a part without one) and the CA, from what `idv broker keys`
// wrote in access; it returns IDV_NATS_NKEY_DIR and IDV_NATS_TLS_CA.
func mountAccess(t *testing.T, access, dir, role string) (string, string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.crt")
	if role == "" {
		return dir, ca
	}
	for from, to := range map[string]string{broker.KeyFile(filepath.Join(access, "nkeys"), role): broker.KeyFile(dir, role), filepath.Join(access, "tls", "ca.crt"): ca} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, ca
}

// loopbackAddr is port on loopback when it is free, else a free port, with
// a note saying which.
func loopbackAddr(t *testing.T, port int) (string, string) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err == nil {
		addr := ln.Addr().String()
		ln.Close()
		return addr, "its default port"
	}
	return freeAddr(t), fmt.Sprintf("a free port: its default %d is taken on this host", port)
}

// start runs the part on this host and waits until it is ready: its ops
// endpoint on its default port on loopback if that is free, else on a free
// one (IDV_OPS_ADDR); the API on httpAddr (IDV_HTTP_ADDR). Another process
// may take the port between the look and the part's bind: then the part
// exits, or another process answers /readyz, and it starts again on a free
// port.
func (p *layoutPart) start(t *testing.T) {
	t.Helper()
	addr, note := loopbackAddr(t, p.OpsPort)
	for attempt := 1; ; attempt++ {
		vars := maps.Clone(p.vars)
		vars["IDV_OPS_ADDR"] = addr
		if p.httpAddr != "" {
			vars["IDV_HTTP_ADDR"] = p.httpAddr
		}
		p.env, p.ops, p.note = environ(vars), addr, addr+" ("+note+")"
		err := p.tryStart()
		if err == nil {
			if !listensOn(t, p.pid(), addr) {
				p.kill()
				err = fmt.Errorf("another process answers on %s: %w", addr, syscall.EADDRINUSE)
			} else if p.httpAddr != "" && !listensOn(t, p.pid(), p.httpAddr) {
				t.Fatalf("part %s: another process listens on its HTTP address %s", p.Name, p.httpAddr)
			} else {
				return
			}
		}
		if attempt == 3 || (!errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use")) {
			t.Fatalf("part %s: %v", p.Name, err)
		}
		addr, note = freeAddr(t), fmt.Sprintf("a free port: %d was taken as it started", p.OpsPort)
	}
}

// listensOn reports whether process pid holds the listening TCP socket on
// the IPv4 address addr, from /proc: whether /readyz was its answer.
func listensOn(t *testing.T, pid int, addr string) bool {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		t.Fatalf("listensOn %s: want an IPv4 address and port", addr)
	}
	ip := ap.Addr().As4()
	local := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port())
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for line := range strings.Lines(string(table)) {
		f := strings.Fields(line)
		if len(f) > 9 && f[1] == local && f[3] == "0A" { // LISTEN
			inodes["socket:["+f[9]+"]"] = true
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && inodes[l] {
			return true
		}
	}
	return false
}

// awaitLayoutHook waits for a verified webhook, failing with the parts'
// logs when none comes within two minutes.
func awaitLayoutHook(t *testing.T, ch <-chan schemas.WebhookPayload, what string, parts []*layoutPart) schemas.WebhookPayload {
	t.Helper()
	select {
	case hook := <-ch:
		return hook
	case <-time.After(2 * time.Minute):
		var logs strings.Builder
		for _, p := range parts {
			fmt.Fprintf(&logs, "--- %s:\n%s\n", p.Name, p.tail())
		}
		t.Fatalf("no verified %s webhook within two minutes; the parts' logs:\n%s", what, &logs)
	case <-t.Context().Done():
		t.Fatal(t.Context().Err())
	}
	return schemas.WebhookPayload{}
}
