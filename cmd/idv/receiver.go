package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/idv-oss/idv/schemas"
)

// receiver is the dev tenant's webhook endpoint, as a customer would run
// one: it verifies every delivery's Standard Webhooks signature, refuses
// what does not verify, and passes verified payloads on.
type receiver struct {
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

func newReceiver(secret []byte, out io.Writer) *receiver {
	return &receiver{secret: secret, out: out, subs: map[string]chan schemas.WebhookPayload{}, counts: map[string]int{},
		seen: map[string]bool{}, duplicates: map[string]int{}}
}

// await returns a channel that receives the verified webhook of type typ
// (e.g. session.decided) about session id.
func (rc *receiver) await(sessionID, typ string) <-chan schemas.WebhookPayload {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	ch := make(chan schemas.WebhookPayload, 1)
	rc.subs[sessionID+" "+typ] = ch
	return ch
}

// arrival is await's arrival time only, for the load generator.
func (rc *receiver) arrival(sessionID, typ string) <-chan time.Time {
	hook := rc.await(sessionID, typ)
	out := make(chan time.Time, 1)
	go func() {
		<-hook
		out <- time.Now()
	}()
	return out
}

// received is how many verified webhooks of type typ about session id
// have arrived, each webhook-id counted once.
func (rc *receiver) received(sessionID, typ string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.counts[sessionID+" "+typ]
}

// duplicated is how many deliveries about the session repeated a
// webhook-id already taken.
func (rc *receiver) duplicated(sessionID, typ string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.duplicates[sessionID+" "+typ]
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if err := schemas.Verify(rc.secret, r.Header, body, time.Now(), schemas.DefaultWebhookTolerance); err != nil {
		fmt.Fprintf(rc.out, "• webhook REFUSED by the receiver: %v\n", err)
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
	rc.mu.Lock()
	if rc.seen[id] {
		rc.duplicates[key]++
		rc.mu.Unlock()
		fmt.Fprintf(rc.out, "• webhook %s received again (a retry of one already taken): dropped\n", id)
		return
	}
	rc.seen[id] = true
	fmt.Fprintf(rc.out, "• webhook %s received, signature verified: %s session %s → %s\n", id, p.Type, p.Data.SessionID, what)
	rc.counts[key]++
	ch := rc.subs[key]
	delete(rc.subs, key)
	rc.mu.Unlock()
	if ch != nil {
		ch <- p
	}
}
