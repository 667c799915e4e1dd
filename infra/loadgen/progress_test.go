package loadgen

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/progress"
	"github.com/idv-oss/idv/schemas"
)

// noFrames fails unless out, progress written to a log (a buffer, not a
// terminal), is one line per step, the last one last, and no carriage
// return.
func noFrames(t *testing.T, out string, steps int, last string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if strings.Contains(out, "\r") || len(lines) != steps || lines[len(lines)-1] != last {
		t.Errorf("progress off a terminal: %d lines, want %d ending %q, and no carriage return:\n%q", len(lines), steps, last, out)
	}
}

// A run's progress in a log: a line at each tenth of the verifications.
func TestRunProgressOffTerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	m := meter{m: progress.New(&buf)}
	for i := range 40 {
		m.add(40, i%8 == 0, time.Duration(i+1)*100*time.Millisecond)
	}
	m.m.Done()
	noFrames(t, buf.String(), 10, "[##############################] 40/40 verifications, 5 failed, 10.0/s")
}

// The wipe's progress in a log: a line at each tenth of the sessions.
func TestWipeProgressOffTerminal(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodDelete {
			http.Error(w, "want DELETE", http.StatusMethodNotAllowed)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	ids := make([]string, 25)
	for i := range ids {
		ids[i] = fmt.Sprintf("session-%d", i)
	}
	var buf bytes.Buffer
	_, err := Wipe(t.Context(), Config{APIURL: srv.URL, Checks: []string{schemas.CheckDocument}, Progress: &buf,
		Captures: func(*schemas.Challenge) ([]appclient.Capture, error) { return nil, nil },
		Await: func(string, string) <-chan time.Time {
			c := make(chan time.Time, 1)
			c <- time.Now()
			return c
		}}, ids)
	if err != nil {
		t.Fatal(err)
	}
	noFrames(t, buf.String(), 10, "wiped 25/25 sessions")
}
