package loadgen

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/schemas"
)

// TestClientKeepsAConnectionPerVerification: the load generator's own
// client keeps as many idle connections to each host as there are
// verifications in flight, twice over (the API and the store), so that
// its requests reuse them as apps and customers would rather than dial
// anew past http.DefaultTransport's 2 a host.
func TestClientKeepsAConnectionPerVerification(t *testing.T) {
	cfg := Config{N: 1, Concurrency: 24, APIURL: "http://127.0.0.1:1", Checks: []string{"document"},
		Captures: func(*schemas.Challenge) ([]appclient.Capture, error) { return nil, nil },
		Await:    func(string, string) <-chan time.Time { return nil }}
	got, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := got.HTTP.Transport.(*http.Transport)
	if !ok || tr.MaxIdleConnsPerHost < 2*cfg.Concurrency {
		t.Fatalf("transport %T keeps %d idle connections a host, want %d", got.HTTP.Transport, tr.MaxIdleConnsPerHost, 2*cfg.Concurrency)
	}
}

// TestCallReusesItsConnection: Call reads every answer to its end, a body
// it was not asked to decode too, so one connection serves request after
// request instead of one each (it took a new one after each DELETE).
func TestCallReusesItsConnection(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"session_id": "s1", "status": "expired"}) // ends in "\n"
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}}
	for i := range 4 {
		var out map[string]string
		if err := Call(t.Context(), client, http.MethodGet, srv.URL+"/v1/sessions/s1", "key", nil, &out); err != nil || out["session_id"] != "s1" {
			t.Fatalf("call %d: %v, %v", i, out, err)
		}
		if err := Call(t.Context(), client, http.MethodDelete, srv.URL+"/v1/sessions/s1", "key", nil, nil); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("8 calls one after another opened %d connections, want 1", n)
	}
}
