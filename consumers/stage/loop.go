package stage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv"
)

// Loop defaults.
const (
	// ackTimeout bounds waiting for the broker to confirm an ack.
	ackTimeout = 5 * time.Second
	// drainWait bounds waiting for buffered messages when stopping.
	drainWait = time.Second
)

// Config is how one stage's loop runs.
type Config struct {
	// Stage describes the stage: its name (in logs and metrics), how many
	// handlers run at once (Concurrency; the loop also buffers at most
	// this many messages) and the delays before redelivery (Backoff).
	// Overrides, such as IDV_STAGE_CONCURRENCY's, go into this copy.
	Stage idv.Stage
	// Backoff, when not nil, replaces Stage.Backoff:
	// ExponentialBackoff(Stage.Backoff.Base, Stage.Backoff.Max).
	Backoff func(numDelivered uint64) time.Duration
	// ProgressEvery is how often a running handler's message is reported
	// in progress, holding off redelivery; 0 means the consumer's
	// AckWait/3. It must be shorter than AckWait.
	ProgressEvery time.Duration
	// Heartbeat is how often an idle server is asked to show it is alive
	// (nats.go takes 500 ms to 30 s); two missed in a row make the loop
	// warn and pull again. 0 means the client library's default (15 s).
	// Tests shorten it.
	Heartbeat time.Duration
}

func (c Config) withDefaults(ci *jetstream.ConsumerInfo) (Config, error) {
	if err := c.Stage.Validate(); err != nil {
		return c, fmt.Errorf("stage: %w", err)
	}
	c.Stage = c.Stage.WithDefaults()
	if c.Backoff == nil {
		c.Backoff = ExponentialBackoff(c.Stage.Backoff.Base, c.Stage.Backoff.Max)
	}
	ackWait := ci.Config.AckWait
	if ackWait <= 0 {
		return c, fmt.Errorf("stage %s: consumer %s has no AckWait (not an explicit-ack pull consumer?)", c.Stage.Name, ci.Name)
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = ackWait / 3
	}
	if c.ProgressEvery <= 0 || c.ProgressEvery >= ackWait {
		return c, fmt.Errorf("stage %s: ProgressEvery %s must be between 0 and the consumer's AckWait %s", c.Stage.Name, c.ProgressEvery, ackWait)
	}
	return c, nil
}

// Run consumes cons with h until ctx ends: it pulls at most
// cfg.Stage.Concurrency messages ahead, runs at most that many handlers at
// once, and settles each message by the handler's result: nil → ack
// (confirmed by the broker); Permanent → term with the error as reason;
// any other error → nak, redelivered after the stage's Backoff. A message
// that is not an IDV event is terminated without calling h. Run refuses a
// cfg.Stage that does not Validate.
//
// When ctx ends, Run stops pulling, gives buffered messages back to the
// broker, and waits for the handlers already running. Those run to the end
// on a context that ctx's end does not cancel (finishing and acking work
// already started beats redoing it), so handlers must bound their own
// calls. Run returns nil after a stop through ctx, or an error when the
// consumer cannot be read (it was deleted, the connection was closed).
func Run(ctx context.Context, cons jetstream.Consumer, h Handler, log *slog.Logger, m *Metrics, cfg Config) error {
	ci := cons.CachedInfo()
	if ci == nil {
		var err error
		if ci, err = cons.Info(ctx); err != nil {
			return fmt.Errorf("stage %s: consumer info: %w", cfg.Stage.Name, err)
		}
	}
	cfg, err := cfg.withDefaults(ci)
	if err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	m.forStage(cfg.Stage.Name)
	l := &loop{h: h, log: log.With("stage", cfg.Stage.Name), m: m, cfg: cfg, maxDeliver: ci.Config.MaxDeliver}

	pull := []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(cfg.Stage.Concurrency)}
	if cfg.Heartbeat > 0 {
		pull = append(pull, jetstream.PullHeartbeat(cfg.Heartbeat))
	}
	iter, err := cons.Messages(pull...)
	if err != nil {
		return fmt.Errorf("stage %s: consume %s: %w", cfg.Stage.Name, ci.Name, err)
	}
	defer iter.Stop()

	work := context.WithoutCancel(ctx)
	slots := make(chan struct{}, cfg.Stage.Concurrency)
	var wg sync.WaitGroup
	var runErr error
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		msg, err := iter.Next(jetstream.NextContext(ctx))
		if errors.Is(err, jetstream.ErrNoHeartbeat) && ctx.Err() == nil {
			// The server went quiet: it was lost and the client reconnected
			// elsewhere, or the consumer's leader moved within the cluster.
			// The iterator issues new pull requests by itself; stopping the
			// worker here would take a whole process down for a blip.
			<-slots
			l.log.Warn("no heartbeat from JetStream; pulling again", "consumer", ci.Name)
			continue
		}
		if err != nil {
			<-slots
			if ctx.Err() == nil {
				runErr = fmt.Errorf("stage %s: consume %s: %w", cfg.Stage.Name, ci.Name, err)
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			l.process(work, msg)
		}()
	}
	l.giveBack(iter)
	wg.Wait()
	return runErr
}

type loop struct {
	h          Handler
	log        *slog.Logger
	m          *Metrics
	cfg        Config
	maxDeliver int
}

// process handles one message and settles it.
func (l *loop) process(ctx context.Context, msg jetstream.Msg) {
	log := l.log.With("subject", msg.Subject())
	meta, err := msg.Metadata()
	if err != nil {
		// Without a reply subject there is nothing to settle.
		log.Error("not a JetStream message", "error", err)
		return
	}
	log = log.With("stream_seq", meta.Sequence.Stream, "delivered", meta.NumDelivered)
	if meta.NumDelivered > 1 {
		l.m.redeliveries.WithLabelValues(l.cfg.Stage.Name).Inc()
	}
	start := time.Now()
	ev, err := decode(msg, meta)
	if err != nil {
		// Headers of something that is not our event may hold anything:
		// log the error (names only), not their values.
		if err := msg.TermWithReason(err.Error()); err != nil {
			log.Warn("term not sent", "error", err)
		}
		log.Error("malformed event terminated", "error", err)
		l.m.settled(l.cfg.Stage.Name, outcomeTerm, time.Since(start))
		return
	}
	log = log.With("msg_id", ev.MsgID)

	inFlight := l.m.inFlight.WithLabelValues(l.cfg.Stage.Name)
	inFlight.Inc()
	stop := l.keepAlive(msg, log)
	err = l.call(ctx, ev)
	stop()
	inFlight.Dec()

	outcome := l.settle(ctx, msg, meta, err, log)
	l.m.settled(l.cfg.Stage.Name, outcome, time.Since(start))
}

// call runs the handler; a panic becomes an error (retried, like any
// other) rather than taking the worker and its other messages down.
func (l *loop) call(ctx context.Context, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("stage %s: handler panic: %v", l.cfg.Stage.Name, p)
			l.log.Error("handler panicked", "msg_id", ev.MsgID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	return l.h.Handle(ctx, ev)
}

// keepAlive reports msg in progress every ProgressEvery until stop is
// called, so that a handler running longer than AckWait keeps its message.
func (l *loop) keepAlive(msg jetstream.Msg, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(l.cfg.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := msg.InProgress(); err != nil {
					log.Warn("progress report not sent", "error", err)
				}
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// settle acks, naks or terminates msg by the handler's result.
func (l *loop) settle(ctx context.Context, msg jetstream.Msg, meta *jetstream.MsgMetadata, err error, log *slog.Logger) string {
	switch {
	case err == nil:
		// A confirmed ack costs a round trip (FACTS: 11k/s against 98k/s
		// unconfirmed), nothing next to a handler's database and storage
		// work, and turns a lost ack from silent into a counted
		// redelivery.
		actx, cancel := context.WithTimeout(ctx, ackTimeout)
		defer cancel()
		if err := msg.DoubleAck(actx); err != nil {
			l.m.ackFailures.WithLabelValues(l.cfg.Stage.Name).Inc()
			log.Warn("ack not confirmed; the message will be delivered again", "error", err)
		}
		return outcomeAck

	case IsPermanent(err):
		if terr := msg.TermWithReason(err.Error()); terr != nil {
			log.Warn("term not sent", "error", terr)
		}
		log.Error("permanent failure; message terminated", "error", err)
		return outcomeTerm

	default:
		delay := l.cfg.Backoff(meta.NumDelivered)
		if nerr := msg.NakWithDelay(delay); nerr != nil {
			log.Warn("nak not sent; the message will be delivered again after AckWait", "error", nerr)
		}
		if l.maxDeliver > 0 && meta.NumDelivered >= uint64(l.maxDeliver) {
			l.m.exhausted.WithLabelValues(l.cfg.Stage.Name).Inc()
			log.Error("last delivery failed; JetStream will not deliver it again", "error", err, "max_deliver", l.maxDeliver)
		} else {
			log.Warn("handler failed; will retry", "error", err, "retry_in", delay)
		}
		return outcomeNak
	}
}

// giveBack stops pulling and naks the messages already buffered, so that
// another worker gets them now rather than after AckWait.
func (l *loop) giveBack(iter jetstream.MessagesContext) {
	iter.Drain()
	for {
		msg, err := iter.Next(jetstream.NextMaxWait(drainWait))
		if err != nil {
			return
		}
		if err := msg.Nak(); err != nil {
			l.log.Warn("buffered message not given back; it returns after AckWait", "subject", msg.Subject(), "error", err)
		}
	}
}
