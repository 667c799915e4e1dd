package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// tenantBatches runs the calls of one tenant that arrive while a batch of
// that tenant runs together, in the next batch: the wipe's two store steps,
// webhook attempt records and audit entries recorded on their own use it,
// so that many calls of one tenant take a few transactions of a fixed
// number of statements each instead of one each (and, for the audit chain,
// instead of queueing one by one on the tenant's lock). The zero value is
// ready; T is the calls' request.
type tenantBatches[T any] struct {
	mu      sync.Mutex
	queued  map[uuid.UUID][]*batchCall[T]
	running map[uuid.UUID]bool
}

// batchCall is one call waiting for its batch.
type batchCall[T any] struct {
	req  T
	done chan error    // its outcome, once its batch ended
	lead chan struct{} // its turn to run the next batch
}

// Bounds of one batch: how many calls it takes (the size of its array
// parameters and of its one audit INSERT) and how long it may take.
const (
	batchMax     = 32
	batchTimeout = 30 * time.Second
)

// do runs req in a batch of the tenant's calls and returns its outcome.
// When no batch of the tenant runs, the caller runs one at once; otherwise
// it waits, and the oldest waiting caller runs the next batch with every
// call that queued meanwhile (up to batchMax). run gets the batch's
// requests and returns one outcome for each, in their order. A batch is the
// other callers' too: it ends with its own bound (batchTimeout), not with
// the caller's context. A call made inside a group (Reads.Together,
// ChangeTogether) runs alone with the caller's context, so that run's
// transaction is the group's when it is of the same pool and scope, as
// inTx makes it; a batch never runs in anyone's group.
func (g *tenantBatches[T]) do(ctx context.Context, tenantID uuid.UUID, req T, run func(context.Context, []T) []error) error {
	if t, _ := ctx.Value(togetherKey{}).(*together); t != nil {
		return run(ctx, []T{req})[0]
	}
	c := &batchCall[T]{req: req, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	if g.join(tenantID, c) {
		c.lead <- struct{}{}
	}
	select {
	case err := <-c.done:
		return err
	case <-c.lead:
	}
	func() {
		// Handed over even if the batch panics (the consume loop recovers
		// and goes on), so the tenant's next calls are not left waiting.
		defer g.handOver(tenantID)
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
		defer cancel()
		g.runBatch(bctx, g.take(tenantID), run)
	}()
	return <-c.done
}

// runBatch runs batch and sends each call its outcome; if run panics, each
// still gets an answer before the panic goes on.
func (g *tenantBatches[T]) runBatch(ctx context.Context, batch []*batchCall[T], run func(context.Context, []T) []error) {
	sent := false
	defer func() {
		if !sent {
			for _, c := range batch {
				c.done <- fmt.Errorf("postgres: the batch this call was in panicked")
			}
		}
	}()
	reqs := make([]T, len(batch))
	for i, c := range batch {
		reqs[i] = c.req
	}
	outcome := run(ctx, reqs)
	for i, c := range batch {
		c.done <- outcome[i]
	}
	sent = true
}

// join queues c; true when no batch of the tenant runs, and c is to run the
// next one now.
func (g *tenantBatches[T]) join(tenantID uuid.UUID, c *batchCall[T]) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.queued == nil {
		g.queued, g.running = map[uuid.UUID][]*batchCall[T]{}, map[uuid.UUID]bool{}
	}
	g.queued[tenantID] = append(g.queued[tenantID], c)
	if g.running[tenantID] {
		return false
	}
	g.running[tenantID] = true
	return true
}

// take removes up to batchMax queued calls of the tenant, oldest first: the
// batch the caller runs (its own call among them).
func (g *tenantBatches[T]) take(tenantID uuid.UUID) []*batchCall[T] {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.queued[tenantID]
	n := min(len(q), batchMax)
	batch := q[:n:n]
	g.queued[tenantID] = q[n:]
	return batch
}

// handOver passes the tenant's next batch to the oldest call waiting, or
// notes that none runs.
func (g *tenantBatches[T]) handOver(tenantID uuid.UUID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if q := g.queued[tenantID]; len(q) > 0 {
		q[0].lead <- struct{}{}
		return
	}
	delete(g.queued, tenantID)
	delete(g.running, tenantID)
}

// failAll is outcome with err, a batch's own failure, given to every call
// that has no error of its own: when the batch's transaction fails, none of
// its calls took effect.
func failAll(outcome []error, err error) []error {
	if err == nil {
		return outcome
	}
	for i := range outcome {
		if outcome[i] == nil {
			outcome[i] = err
		}
	}
	return outcome
}
