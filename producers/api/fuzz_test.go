package api_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/producers/api"
	"github.com/idv-oss/idv/schemas"
)

// FuzzAPI sends arbitrary requests — any method, path, content type and
// body, with no credential, a tenant's API key or an app token — to the
// whole API over real PostgreSQL and storage. Whatever comes in, the answer
// is never a 5xx, and every refusal is a machine-readable JSON error with a
// code. The seeds (testdata/fuzz/FuzzAPI, one or more per route, and below)
// run with every go test, and that run fails unless every route of
// schemas/openapi.yaml got at least one input past authentication and the
// rate limits to its handler. A path's "{session}" is the app token's
// session, which is replaced by a new one once it is no longer open, so
// the app routes keep being reached.
//
// The server under fuzz has its own clock, which moves on by one app-token
// refill (1/DefaultAppRate s) per input: the token buckets refill as they
// would for a client that keeps to its rate, so the handlers, not the
// limiter, answer. The fuzz logs how many inputs reached each handler
// (go test -fuzz FuzzAPI -v, at the end of the run).
func FuzzAPI(f *testing.F) {
	b := setup(f)
	fz := newFuzzServer(f, b)
	routes := contractRoutes(f)
	seeds := []struct {
		method, path, ctype, body string
		cred                      uint8
	}{
		{"POST", "/v1/sessions", "application/json", `{"checks":["document","liveness"]}`, 1},
		{"POST", "/v1/sessions", "application/json", `{"retention_days":1e309}`, 1},
		{"POST", "/v1/sessions", "application/json", `[`, 1},
		{"GET", "/v1/sessions/../../etc/passwd", "", "", 1},
		{"GET", "/v1/sessions/%00", "", "", 1},
		{"DELETE", "/v1/sessions/00000000-0000-0000-0000-000000000000", "", "", 1},
		{"PUT", "/v1/sessions", "application/json", "{}", 1},
		{"GET", "/v1/app/session", "", "", 2},
		{"POST", "/v1/app/session/uploads", "application/json", `{"captures":[{"kind":"chip_aa","index":-1,"size":-5,"sha256":""}]}`, 2},
		{"POST", "/v1/app/session/submit", "application/json", "", 2},
		{"POST", "/v1/app/session/dsr", "application/json", `{"kind":"erasure","extra":1}`, 2},
		{"PATCH", "/v1/policy", "application/json", `{"minors":"maybe"}`, 1},
		{"PATCH", "/v1/policy", "application/json", `{"fields":["bsn"]}`, 1},
		{"GET", "/v1/audit-events?after=-1&limit=99999999999999999999", "", "", 1},
		{"GET", "/v1/processing-record", "text/markdown", "", 1},
		{"POST", "/v1/subprocessors/%2e%2e/objection", "", "", 1},
		{"GET", "/capture/", "", "", 0},
		{"TRACE", "/", "", "", 0},
	}
	for _, seed := range seeds {
		f.Add(seed.method, seed.path, seed.ctype, seed.body, seed.cred)
	}
	tally := newRouteTally(f, routes, len(seeds)+countFiles(f, filepath.Join("testdata", "fuzz", "FuzzAPI")))
	// Redirects are the API's answers too (the hand-off link's 303): not followed.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f.Fuzz(func(t *testing.T, method, path, ctype, body string, cred uint8) {
		tally.ran++
		fz.clock.Advance(fuzzStep)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		path = strings.ReplaceAll(path, "{session}", fz.session.ID)
		req, err := http.NewRequest(method, fz.url+path, strings.NewReader(body))
		if err != nil {
			t.Skip("not a request net/http can send")
		}
		creds := []string{"", b.a.APIKey, fz.session.AppToken, "idv_sk_forged_secret", "Basic Zm9vOmJhcg=="}
		if c := creds[int(cred)%len(creds)]; c != "" {
			req.Header.Set("Authorization", "Bearer "+c)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Skip("refused by the client or the server's HTTP layer: ", err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s → %d: %s", method, path, resp.StatusCode, raw)
		}
		route, ok := resp.Header[routeHeader]
		if !ok {
			// net/http's server refused the request before the API saw
			// it: a request line with a space, which the client sends
			// as is in a query ("/? "), is answered a plain-text 400.
			t.Skipf("refused by the server's HTTP layer: %d %q", resp.StatusCode, raw)
		}
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if resp.StatusCode >= 400 {
			if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" {
				t.Fatalf("%s %s → %d without a JSON error code: %q", method, path, resp.StatusCode, raw)
			}
		}
		tally.count(route[0], resp.StatusCode, e.Error.Code)
		fz.renew(t)
	})
}

// fuzzStep is how far the fuzz server's clock moves per input: one app
// token's refill, and a hundred of a tenant's.
const fuzzStep = time.Second / api.DefaultAppRate

// routeHeader carries, on every answer of the API under fuzz, the pattern
// of the route the request was matched to ("" or "/" when none). An answer
// without it is net/http's own.
const routeHeader = "Idv-Fuzz-Route"

// fuzzServer is FuzzAPI's own API server over the bundle's stores: its
// clock moves with the inputs, and its answers name their route.
type fuzzServer struct {
	b       *bundle
	url     string
	clock   *clock
	apiKey  string
	session created // the app token's session; open until an input ends it
}

func newFuzzServer(f *testing.F, b *bundle) *fuzzServer {
	f.Helper()
	clk := &clock{t: time.Now()}
	// The app token works until the session expires (tenant A keeps 7
	// days, several million inputs); renew replaces it before.
	srv := api.New(b.stores, b.vault, b.objects, slog.New(slog.NewTextHandler(io.Discard, nil)),
		api.NewMetrics(prometheus.NewRegistry()), api.Config{Now: clk.Now, AppTokenTTL: 28 * 24 * time.Hour})
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&routeWriter{ResponseWriter: w, r: r}, r)
	}))
	f.Cleanup(ts.Close)
	fz := &fuzzServer{b: b, url: ts.URL, clock: clk, apiKey: b.a.APIKey}
	s, err := fz.newSession()
	if err != nil {
		f.Fatal(err)
	}
	fz.session = s
	return fz
}

// newSession creates a session of tenant A on the fuzz server.
func (fz *fuzzServer) newSession() (created, error) {
	req, _ := http.NewRequest("POST", fz.url+"/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+fz.apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return created{}, fmt.Errorf("create session: %w", err)
	}
	defer resp.Body.Close()
	var c created
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusCreated {
		return created{}, fmt.Errorf("create session: %d %v", resp.StatusCode, err)
	}
	return c, nil
}

// renew replaces the app token's session once an input has submitted,
// declined or erased it, or its token is about to expire. A session the
// fuzzed policy does not let be created leaves the old one in place.
func (fz *fuzzServer) renew(t *testing.T) {
	sess, err := fz.b.stores.Sessions.GetForApp(context.Background(), uuid.MustParse(fz.session.ID))
	if err != nil {
		t.Fatalf("read the fuzz session: %v", err)
	}
	if sess.Open() && !sess.Ended() && fz.clock.Now().Add(time.Hour).Before(sess.AppTokenExpiresAt) {
		return
	}
	if s, err := fz.newSession(); err == nil {
		fz.session = s
	}
}

// routeWriter names the request's route in routeHeader. The API's router
// sets r.Pattern before the route's handler (or its authentication)
// writes, so the pattern is known when the header goes out.
type routeWriter struct {
	http.ResponseWriter
	r     *http.Request
	wrote bool
}

func (w *routeWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.Header().Set(routeHeader, w.r.Pattern)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *routeWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// contractRoutes are schemas/openapi.yaml's operations as router patterns
// ("GET /v1/sessions/{id}") with their security scheme ("apiKey",
// "appToken", or "" for none): the routes the API serves.
func contractRoutes(f *testing.F) map[string]string {
	f.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(schemas.OpenAPI)
	if err != nil {
		f.Fatalf("load openapi.yaml: %v", err)
	}
	routes := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			sec := doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			scheme := ""
			for _, req := range sec {
				for name := range req {
					scheme = name
				}
			}
			routes[method+" "+path] = scheme
		}
	}
	return routes
}

// routeTally counts, per route, the inputs sent to it and those that got
// past authentication and the rate limits to its handler. Fuzz workers
// are processes of their own: each writes its tally to a directory named
// for the coordinating process, which sums them when the run ends.
type routeTally struct {
	routes  map[string]string
	counts  map[string]*routeCount
	ran     int // inputs tried, sent or not
	dir     string
	flushed time.Time
}

type routeCount struct {
	Inputs, Reached, Unauthorized, Limited int
}

// seeds is how many inputs the seed corpus has: the run that tried them
// all must have reached every route's handler.
func newRouteTally(f *testing.F, routes map[string]string, seeds int) *routeTally {
	f.Helper()
	worker := flag.Lookup("test.fuzzworker").Value.String() == "true"
	fuzzing := flag.Lookup("test.fuzz").Value.String() != ""
	rt := &routeTally{routes: routes, counts: map[string]*routeCount{}}
	switch {
	case worker:
		rt.dir = tallyDir(os.Getppid())
		f.Cleanup(rt.flush)
	case fuzzing:
		rt.dir = tallyDir(os.Getpid())
		if err := os.MkdirAll(rt.dir, 0o755); err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() {
			defer os.RemoveAll(rt.dir)
			rt.gather(f)
			f.Logf("inputs per route over the fuzz run, all workers:\n%s", rt.table())
		})
	default:
		f.Cleanup(func() {
			f.Logf("inputs per route over the seed corpus:\n%s", rt.table())
			if rt.ran < seeds {
				return // a -run filter picked some seeds only
			}
			for route := range routes {
				if c := rt.counts[route]; c == nil || c.Reached == 0 {
					f.Errorf("no seed reached the handler of %s: add one to testdata/fuzz/FuzzAPI", route)
				}
			}
		})
	}
	return rt
}

func tallyDir(coordinator int) string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("idv-fuzzapi-%d", coordinator))
}

func countFiles(f *testing.F, dir string) int {
	es, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	return len(es)
}

// count records one answer: its route, status and error code. A 401 or
// 429 comes from authentication or the limiters, as do an API key's
// tenant_offboarding and an app token's session_ended; anything else is
// the handler's.
func (rt *routeTally) count(route string, status int, code string) {
	if route == "" || route == "/" {
		route = "no route"
	}
	c := rt.counts[route]
	if c == nil {
		c = &routeCount{}
		rt.counts[route] = c
	}
	c.Inputs++
	scheme := rt.routes[route]
	switch {
	case status == http.StatusUnauthorized:
		c.Unauthorized++
	case status == http.StatusTooManyRequests:
		c.Limited++
	case code == "tenant_offboarding" && scheme == "apiKey", code == "session_ended" && scheme == "appToken":
	default:
		c.Reached++
	}
	if rt.dir != "" && time.Since(rt.flushed) > time.Second {
		rt.flush()
	}
}

func (rt *routeTally) flush() {
	rt.flushed = time.Now()
	raw, _ := json.Marshal(rt.counts)
	name := filepath.Join(rt.dir, fmt.Sprint(os.Getpid()))
	if os.WriteFile(name+".tmp", raw, 0o644) == nil {
		os.Rename(name+".tmp", name+".json")
	}
}

// gather adds up the workers' tallies.
func (rt *routeTally) gather(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join(rt.dir, "*.json"))
	for _, name := range names {
		raw, err := os.ReadFile(name)
		var w map[string]*routeCount
		if err == nil {
			err = json.Unmarshal(raw, &w)
		}
		if err != nil {
			f.Errorf("worker tally %s: %v", name, err)
			continue
		}
		for route, c := range w {
			sum := rt.counts[route]
			if sum == nil {
				sum = &routeCount{}
				rt.counts[route] = sum
			}
			sum.Inputs += c.Inputs
			sum.Reached += c.Reached
			sum.Unauthorized += c.Unauthorized
			sum.Limited += c.Limited
		}
	}
}

func (rt *routeTally) table() string {
	names := make([]string, 0, len(rt.routes)+1)
	for route := range rt.routes {
		names = append(names, route)
	}
	for route := range rt.counts {
		if !slices.Contains(names, route) {
			names = append(names, route)
		}
	}
	slices.Sort(names)
	var sb strings.Builder
	var total routeCount
	fmt.Fprintf(&sb, "%-44s %9s %9s %9s %9s\n", "route", "inputs", "handler", "401", "429")
	for _, route := range names {
		c := rt.counts[route]
		if c == nil {
			c = &routeCount{}
		}
		total.Inputs += c.Inputs
		total.Reached += c.Reached
		total.Unauthorized += c.Unauthorized
		total.Limited += c.Limited
		fmt.Fprintf(&sb, "%-44s %9d %9d %9d %9d\n", route, c.Inputs, c.Reached, c.Unauthorized, c.Limited)
	}
	fmt.Fprintf(&sb, "%-44s %9d %9d %9d %9d", "all", total.Inputs, total.Reached, total.Unauthorized, total.Limited)
	return sb.String()
}
