package postgres

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/lib/pq"
)

// pingInterval is how often the LISTEN connection is checked: a connection
// that died silently would otherwise leave the relay on its poll alone.
const pingInterval = 90 * time.Second

// OutboxListener wakes the outbox relay on NOTIFY idv_outbox
// (idv.OutboxWaker), over a connection of its own that it keeps alive and
// re-establishes with backoff between min and max.
type OutboxListener struct {
	url      string
	min, max time.Duration
	log      *slog.Logger
}

// NewOutboxListener returns a listener on the database at url; min and max
// bound its reconnect backoff (100 ms and 10 s when zero).
func NewOutboxListener(url string, minBackoff, maxBackoff time.Duration, log *slog.Logger) *OutboxListener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if minBackoff <= 0 {
		minBackoff = 100 * time.Millisecond
	}
	if maxBackoff < minBackoff {
		maxBackoff = max(10*time.Second, minBackoff)
	}
	return &OutboxListener{url: url, min: minBackoff, max: maxBackoff, log: log}
}

// Listen keeps a LISTEN connection on the outbox channel and turns its
// notifications, and the outbox commits of this process on the same
// database, into calls of wake; ready is called once LISTEN is in place.
// stop closes it.
func (o *OutboxListener) Listen(wake, ready func()) (stop func()) {
	poke := wake
	local := registerRelay(o.url, wake) // this process's commits wake it directly (localwake.go)
	l := pq.NewListener(o.url, o.min, o.max, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			o.log.Warn("outbox: listen connection", "event", ev.String(), "err", err)
		case pq.ListenerEventReconnected:
			o.log.Info("outbox: listen connection", "event", ev.String())
		}
	})
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		// After a reconnect the listener sends nil, as notifications may
		// have been lost meanwhile: that wakes the relay too. The range ends
		// when Close has shut the listener down.
		for range l.Notify {
			poke()
		}
	})
	wg.Go(func() {
		// Listen waits for a connection, for as long as that takes.
		if err := l.Listen(OutboxChannel); err != nil {
			if !errors.Is(err, net.ErrClosed) {
				o.log.Error("outbox: listen failed, polling only", "err", err)
			}
			return
		}
		ready()
		poke() // rows committed before LISTEN sent no notification
	})
	wg.Go(func() {
		t := time.NewTicker(pingInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				l.Ping() // an error means no connection; the listener is reconnecting
			}
		}
	})
	return func() {
		local()
		close(done)
		l.Close()
		wg.Wait()
	}
}
