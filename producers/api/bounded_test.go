package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBoundedInFlight: with every slot held by a request still being
// worked on, the next one is answered 429 overloaded at once, and served
// again once a slot is free.
func TestBoundedInFlight(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	release, holding := make(chan struct{}), make(chan struct{})
	h := s.bounded(1, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			close(holding)
			<-release
		}
	}))
	ts := httptest.NewServer(h)
	defer ts.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.Get(ts.URL + "/hold"); err == nil {
			resp.Body.Close()
		}
	}()
	<-holding
	resp, err := http.Get(ts.URL + "/other")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(body), `"code":"overloaded"`) {
		t.Fatalf("with the only slot held: %d %s", resp.StatusCode, body)
	}
	close(release)
	<-done
	resp, err = http.Get(ts.URL + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with the slot free again: %d", resp.StatusCode)
	}
}
