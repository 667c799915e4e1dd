// Package webhooksink is a customer's webhook endpoint, as `idv dev`'s demo,
// the load generator and the end-to-end tests run one: an http.Handler that
// verifies every delivery's Standard Webhooks signature (idv.Verify),
// refuses what does not verify, drops a repeated webhook-id, and hands each
// verified payload to whoever awaits it.
package webhooksink

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Sink receives one tenant's webhooks.
type Sink struct {
	secret []byte
	out    io.Writer
	mu     sync.Mutex
	subs   map[string]chan schemas.WebhookPayload // by session id and payload type
	counts map[string]int                         // verified webhooks, by session id and payload type
	// seen are the webhook-ids taken; a delivery repeating one is a
	// duplicate (Standard Webhooks: the sender retries with the same id
	// when it cannot know the first attempt arrived), acknowledged and
	// otherwise dropped, as a customer's endpoint should.
	seen       map[string]bool
	duplicates map[string]int // by session id and payload type
}

// New is a sink verifying with the tenant's webhook secret; it writes a
// line to out for every delivery it takes, refuses or drops.
func New(secret []byte, out io.Writer) *Sink {
	return &Sink{secret: secret, out: out, subs: map[string]chan schemas.WebhookPayload{}, counts: map[string]int{},
		seen: map[string]bool{}, duplicates: map[string]int{}}
}

// SetSecret makes the sink verify with secret from now on: a customer
// switching to the new secret after a rotation (during the overlap each
// delivery is signed under both).
func (s *Sink) SetSecret(secret []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secret = secret
}

// Await returns a channel that receives the verified webhook of type typ
// (e.g. session.decided) about session id.
func (s *Sink) Await(sessionID, typ string) <-chan schemas.WebhookPayload {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan schemas.WebhookPayload, 1)
	s.subs[sessionID+" "+typ] = ch
	return ch
}

// Arrival is Await's arrival time only, for the load generator
// (loadgen.Config.Await).
func (s *Sink) Arrival(sessionID, typ string) <-chan time.Time {
	hook := s.Await(sessionID, typ)
	out := make(chan time.Time, 1)
	go func() {
		<-hook
		out <- time.Now()
	}()
	return out
}

// Received is how many verified webhooks of type typ about session id
// have arrived, each webhook-id counted once.
func (s *Sink) Received(sessionID, typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[sessionID+" "+typ]
}

// Duplicated is how many deliveries about the session repeated a
// webhook-id already taken.
func (s *Sink) Duplicated(sessionID, typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duplicates[sessionID+" "+typ]
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	secret := s.secret
	s.mu.Unlock()
	if err := idv.Verify(secret, r.Header, body, time.Now(), idv.DefaultWebhookTolerance); err != nil {
		fmt.Fprintf(s.out, "• webhook REFUSED by the receiver: %v\n", err)
		http.Error(w, "signature", http.StatusUnauthorized)
		return
	}
	var p schemas.WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "payload", http.StatusBadRequest)
		return
	}
	what := p.Data.Decision
	if what == "" {
		what = p.Data.Href
	}
	id := r.Header.Get(schemas.HeaderWebhookID)
	w.WriteHeader(http.StatusNoContent)
	key := p.Data.SessionID + " " + p.Type
	s.mu.Lock()
	if s.seen[id] {
		s.duplicates[key]++
		s.mu.Unlock()
		fmt.Fprintf(s.out, "• webhook %s received again (a retry of one already taken): dropped\n", id)
		return
	}
	s.seen[id] = true
	fmt.Fprintf(s.out, "• webhook %s received, signature verified: %s%s → %s\n", id, p.Type, about(p.Data), what)
	s.counts[key]++
	ch := s.subs[key]
	delete(s.subs, key)
	s.mu.Unlock()
	if ch != nil {
		ch <- p
	}
}

// about names what a webhook is about, for the log line: its session, or,
// for the tenant notices that carry none, the sub-processor or breach; empty
// (and the field left out) when the payload names none of them.
func about(d schemas.WebhookData) string {
	switch {
	case d.SessionID != "":
		return " session " + d.SessionID
	case d.SubprocessorID != "":
		return " subprocessor " + d.SubprocessorID
	case d.Breach != nil && d.Breach.BreachID != "":
		return " breach " + d.Breach.BreachID
	}
	return ""
}
