package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
	"github.com/lib/pq"
)

// once runs `idv args…` with p's configuration to the end and returns its
// output: an operator's command beside the running services.
func (p *proc) once(args ...string) (string, error) {
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// balancer is the load balancer in front of the API replicas: it sends each
// request to the next replica in rotation, and a replica can be taken out
// (drained: no new requests, the ones in flight finish) before it restarts,
// as a Kubernetes Service does with a pod that is terminating.
type balancer struct {
	mu       sync.Mutex
	backends []*backend
	next     int
}

type backend struct {
	proxy    *httputil.ReverseProxy
	out      bool
	inFlight sync.WaitGroup
}

func newBalancer(t *testing.T, addrs ...string) (*balancer, string) {
	b := &balancer{}
	for _, a := range addrs {
		u, _ := url.Parse("http://" + a)
		b.backends = append(b.backends, &backend{proxy: httputil.NewSingleHostReverseProxy(u)})
	}
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	return b, srv.URL
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	var be *backend
	for range b.backends {
		c := b.backends[b.next%len(b.backends)]
		b.next++
		if !c.out {
			be = c
			break
		}
	}
	if be != nil {
		be.inFlight.Add(1)
	}
	b.mu.Unlock()
	if be == nil {
		http.Error(w, "no API replica in rotation", http.StatusBadGateway)
		return
	}
	defer be.inFlight.Done()
	be.proxy.ServeHTTP(w, r)
}

// drain takes replica i out of rotation and waits for its requests in
// flight; back puts it in again.
func (b *balancer) drain(i int) {
	b.mu.Lock()
	b.backends[i].out = true
	b.mu.Unlock()
	b.backends[i].inFlight.Wait()
}

func (b *balancer) back(i int) {
	b.mu.Lock()
	b.backends[i].out = false
	b.mu.Unlock()
}

// rotationLoad is verifications run without pause while credentials
// rotate: each creates a session with the customer's current API key,
// uploads and submits as the app, waits for the decision, asks for the
// erasure and waits for the deletion webhook. Every request must succeed.
type rotationLoad struct {
	s      *system
	apiURL string
	key    atomic.Pointer[string]
	done   atomic.Int64 // verifications erased
	calls  atomic.Int64
	mu     sync.Mutex
	failed []string
	erased []string // session ids
	// toDeleted is, per erased session, the time from the erasure request
	// to its verified deletion webhook.
	toDeleted []time.Duration
	running   sync.WaitGroup
}

func (l *rotationLoad) fail(what string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed = append(l.failed, fmt.Sprintf("%s: %v", what, err))
}

func (l *rotationLoad) call(ctx context.Context, method, path string, out any) error {
	l.calls.Add(1)
	return loadgen.Call(ctx, &http.Client{Timeout: time.Minute}, method, l.apiURL+path, *l.key.Load(), nil, out)
}

// one runs one verification to its deletion webhook.
func (l *rotationLoad) one(ctx context.Context) error {
	var created struct {
		ID       string `json:"id"`
		AppToken string `json:"app_token"`
	}
	if err := l.call(ctx, http.MethodPost, "/v1/sessions", &created); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	decided := l.s.rcv.Await(created.ID, schemas.WebhookSessionDecided)
	deleted := l.s.rcv.Await(created.ID, schemas.WebhookSessionDeleted)
	app := appclient.New(l.apiURL, created.AppToken, nil)
	l.calls.Add(3) // session, upload policies, submit (uploads go to the store)
	sess, err := app.Session(ctx)
	if err != nil {
		return fmt.Errorf("session %s: read as the app: %w", created.ID, err)
	}
	captures, err := loadgen.SpecimenCaptures(2)
	if err != nil {
		return err
	}
	if err := app.SealAndUpload(ctx, sess, captures, nil); err != nil {
		return fmt.Errorf("session %s: upload: %w", created.ID, err)
	}
	if _, err := app.Submit(ctx); err != nil {
		return fmt.Errorf("session %s: submit: %w", created.ID, err)
	}
	if err := awaitHook(ctx, decided); err != nil {
		return fmt.Errorf("session %s: decision webhook: %w", created.ID, err)
	}
	erasure := time.Now()
	if err := l.call(ctx, http.MethodDelete, "/v1/sessions/"+created.ID, nil); err != nil {
		return fmt.Errorf("session %s: erasure: %w", created.ID, err)
	}
	if err := awaitHook(ctx, deleted); err != nil {
		return fmt.Errorf("session %s: deletion webhook: %w", created.ID, err)
	}
	l.mu.Lock()
	l.erased = append(l.erased, created.ID)
	l.toDeleted = append(l.toDeleted, time.Since(erasure))
	l.mu.Unlock()
	l.done.Add(1)
	return nil
}

func awaitHook(ctx context.Context, ch <-chan schemas.WebhookPayload) error {
	select {
	case <-ch:
		return nil
	case <-time.After(2 * time.Minute):
		return errors.New("none verified within two minutes")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run keeps workers verifications going until ctx ends.
func (l *rotationLoad) run(ctx context.Context, workers int) {
	for range workers {
		l.running.Go(func() {
			for ctx.Err() == nil {
				if err := l.one(ctx); err != nil && ctx.Err() == nil {
					l.fail("verification", err)
				}
			}
		})
	}
}

// waitFor waits until n more verifications have been erased since before,
// so each rotation is seen to happen under load and followed by some.
func (l *rotationLoad) waitFor(t *testing.T, n int64) {
	t.Helper()
	target := l.done.Load() + n
	deadline := time.Now().Add(3 * time.Minute)
	for l.done.Load() < target {
		if time.Now().After(deadline) {
			t.Fatalf("%d verifications in three minutes, want %d more; failures: %v", l.done.Load(), n, l.failed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRotationsUnderLoad rotates every credential IDV has while
// verifications run without pause through two API replicas behind a load
// balancer and a relay and workers as separate processes (issue 17's
// fault table): the customer's API key (the old one keeps working for
// the overlap, the load switches to the new one), the webhook secret (the
// receiver verifies with the old secret during the overlap, then with the
// new), the receipt signing key (`idv vault rotate-signing`), and the
// master key by the documented procedure — every process restarted, one at
// a time, with the new key as old, then as current, `idv vault
// rotate-master`, then restarted without the old key. Not one request may
// fail, every verification ends with its two webhooks, and every receipt
// verifies with a key the API lists.
func TestRotationsUnderLoad(t *testing.T) {
	t.Parallel() // mostly waiting on subprocesses
	if testing.Short() {
		t.Skip("rotations under load: not with -short")
	}
	s := startSystemWith(t, systemOptions{external: true, noImageChecks: true})
	bin := buildIDV(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	var apis []*proc
	var addrs []string
	for range 2 {
		addr := freeAddr(t)
		addrs = append(addrs, addr)
	}
	lb, lbURL := newBalancer(t, addrs...)
	s.apiURL = lbURL // the procs' IDV_PUBLIC_URL
	for _, addr := range addrs {
		p := s.newProc(t, bin, "api")
		p.env = append(p.env, "IDV_HTTP_ADDR="+addr)
		p.start()
		apis = append(apis, p)
	}
	var workers []*proc
	for _, args := range [][]string{{"relay"}, {"worker", "doccheck"}, {"worker", "decision"}, {"worker", "notify"}, {"worker", "wipe"}} {
		p := s.newProc(t, bin, args...)
		p.start()
		workers = append(workers, p)
	}
	l := &rotationLoad{s: s, apiURL: lbURL}
	key := s.tenant.APIKey
	l.key.Store(&key)
	l.run(ctx, 4)
	l.waitFor(t, 4)
	figures := []string{}
	timed := func(name string, fn func()) {
		before, start := l.done.Load(), time.Now()
		fn()
		l.waitFor(t, 4)
		figures = append(figures, fmt.Sprintf("%s in %s with %d verifications finishing meanwhile",
			name, time.Since(start).Round(100*time.Millisecond), l.done.Load()-before))
	}
	ops := workers[0] // any process's configuration runs the operator's commands

	// 1. The customer's API key: rotated with an overlap; the load keeps
	// the old key for a while, then takes the new one.
	timed("API key rotated", func() {
		var keys struct {
			APIKeys []struct {
				ID string `json:"id"`
			} `json:"api_keys"`
		}
		if err := l.call(ctx, http.MethodGet, "/v1/api-keys", &keys); err != nil || len(keys.APIKeys) != 1 {
			t.Fatalf("list API keys: %v %+v", err, keys)
		}
		var rotated struct {
			NewKey struct {
				APIKey string `json:"api_key"`
			} `json:"new_key"`
		}
		if err := loadgen.Call(ctx, http.DefaultClient, http.MethodPost, lbURL+"/v1/api-keys/"+keys.APIKeys[0].ID+"/rotate",
			key, map[string]int{"overlap_seconds": 600}, &rotated); err != nil {
			t.Fatal(err)
		}
		l.waitFor(t, 2) // still the old key
		l.key.Store(&rotated.NewKey.APIKey)
	})

	// 2. The webhook secret: during the overlap every delivery carries a
	// signature under each secret; the receiver switches when it likes.
	timed("webhook secret rotated", func() {
		var rotated struct {
			WebhookSecret string `json:"webhook_secret"`
		}
		if err := l.call(ctx, http.MethodPost, "/v1/webhook/secret/rotate", &rotated); err != nil {
			t.Fatal(err)
		}
		l.waitFor(t, 2) // the receiver still verifies with the old secret
		secret, err := idv.ParseSecret(rotated.WebhookSecret)
		if err != nil {
			t.Fatal(err)
		}
		s.rcv.SetSecret(secret)
	})

	// 3. The receipt signing key.
	var signingRotated string
	timed("receipt signing key rotated", func() {
		out, err := ops.once("vault", "rotate-signing")
		if err != nil {
			t.Fatalf("idv vault rotate-signing: %v\n%s", err, out)
		}
		for line := range strings.Lines(out) {
			if strings.HasPrefix(line, "receipt signing key rotated:") {
				signingRotated = strings.TrimSpace(line)
			}
		}
	})

	// 4. The master key, by docs/operating.md's four steps, every process
	// restarted one at a time (the API replicas drained first).
	encB, _ := vault.GenerateMasterKey()
	keyB, _ := vault.ParseMasterKey(encB)
	roll := func(step string, env ...string) {
		timed("master key, "+step, func() {
			for i, p := range apis {
				lb.drain(i)
				p.terminate() //nolint:errcheck // how it ended is not this test's question
				p.env = append(p.env, env...)
				p.start()
				lb.back(i)
			}
			for _, p := range workers {
				p.terminate() //nolint:errcheck // how it ended is not this test's question
				p.env = append(p.env, env...)
				p.start()
			}
		})
	}
	roll("step 1 (B as old everywhere)", "IDV_MASTER_KEYS_OLD="+encB)
	roll("step 2 (B current, A old)", "IDV_MASTER_KEY="+encB, "IDV_MASTER_KEYS_OLD="+testMasterKey)
	timed("master key, step 3 (idv vault rotate-master)", func() {
		if out, err := ops.once("vault", "rotate-master"); err != nil || !strings.Contains(out, "sealed under master key "+vault.MasterKeyID(keyB)) {
			t.Fatalf("idv vault rotate-master: %v\n%s", err, out)
		}
	})
	roll("step 4 (A removed)", "IDV_MASTER_KEYS_OLD=")

	cancel()
	l.running.Wait()
	if len(l.failed) > 0 {
		t.Fatalf("%d of %d requests failed during the rotations:\n%s", len(l.failed), l.calls.Load(), strings.Join(l.failed, "\n"))
	}
	out, err := ops.once("vault", "keys")
	if err != nil || !strings.Contains(out, "live epoch keys under "+vault.MasterKeyID(keyB)) || strings.Contains(out, "live epoch keys under "+vault.MasterKeyID(mustMasterKey(t, testMasterKey))) {
		t.Fatalf("after the rotation, idv vault keys printed:\n%s (%v); want every live epoch key under B", out, err)
	}

	// Every receipt verifies with a key the API lists; both receipt keys
	// of the master key A (before and after rotate-signing) and B's signed.
	var listed struct {
		Keys []struct {
			KeyID     string `json:"key_id"`
			PublicKey []byte `json:"public_key"`
		} `json:"keys"`
	}
	if err := loadgen.Call(t.Context(), http.DefaultClient, http.MethodGet, lbURL+"/v1/receipt-signing-key", "", nil, &listed); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]int{}
	for _, id := range l.erased {
		var r struct {
			KeyID     string `json:"key_id"`
			Statement []byte `json:"statement"`
			Signature []byte `json:"signature"`
		}
		var sess struct {
			ReceiptID string `json:"receipt_id"`
		}
		if err := loadgen.Call(t.Context(), http.DefaultClient, http.MethodGet, lbURL+"/v1/sessions/"+id, *l.key.Load(), nil, &sess); err != nil {
			t.Fatal(err)
		}
		if err := loadgen.Call(t.Context(), http.DefaultClient, http.MethodGet, lbURL+"/v1/deletion-receipts/"+sess.ReceiptID, *l.key.Load(), nil, &r); err != nil {
			t.Fatal(err)
		}
		verified := false
		for _, k := range listed.Keys {
			verified = verified || (k.KeyID == r.KeyID && idv.VerifyReceipt(k.PublicKey, r.Statement, r.Signature))
		}
		if !verified {
			t.Fatalf("the receipt of session %s (key %s) verifies with no listed key", id, r.KeyID)
		}
		byKey[r.KeyID]++
	}
	if len(byKey) < 3 {
		t.Errorf("receipts signed by %d keys (%v), want 3: A's, A's after rotate-signing, B's", len(byKey), byKey)
	}
	for _, w := range []string{"decided", "deleted"} {
		for _, id := range l.erased {
			if n := s.rcv.Received(id, "session."+w); n != 1 {
				t.Errorf("session %s: %d session.%s webhooks, want 1", id, n, w)
			}
		}
	}
	t.Logf("%d verifications through 2 API replicas, %d API requests, 0 failed; %s; receipts by key %v; %s",
		l.done.Load(), l.calls.Load(), strings.Join(figures, "; "), byKey, signingRotated)
	// Erasure to the last byte in IDV's live stores: the wipe destroys the
	// session key, deletes every object version and the personal rows, and
	// signs the receipt before the deletion webhook is sent.
	var wipes []time.Duration
	if err := s.owner.SelectContext(t.Context(), &wipes, `SELECT (extract(epoch FROM deleted_at - wipe_requested_at) * 1e9)::bigint
		FROM sessions WHERE session_id = ANY($1)`, pq.Array(l.erased)); err != nil {
		t.Fatal(err)
	}
	t.Logf("erasure request to wipe finished (key, objects, rows, receipt; database times) for %d sessions: median %s, max %s; to the verified session.deleted webhook: median %s, max %s",
		len(wipes), medianDuration(wipes), slices.Max(wipes).Round(time.Millisecond), medianDuration(l.toDeleted), slices.Max(l.toDeleted).Round(time.Millisecond))
}

func mustMasterKey(t *testing.T, enc string) vault.MasterKey {
	t.Helper()
	k, err := vault.ParseMasterKey(enc)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// medianDuration is the middle of ds (the upper one of two), sorting ds.
func medianDuration(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2].Round(time.Millisecond)
}
