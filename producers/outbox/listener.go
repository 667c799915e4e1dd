package outbox

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/idv-oss/idv/infra/postgres"
)

// pingInterval is how often the LISTEN connection is checked: a connection
// that died silently would otherwise leave the relay on its poll alone.
const pingInterval = 90 * time.Second

// listen keeps a LISTEN connection on the outbox channel and turns its
// notifications into wakes; stop closes it.
func (r *Relay) listen(wake chan<- struct{}) (stop func()) {
	poke := func() {
		select {
		case wake <- struct{}{}:
		default: // a wake is pending already; the drain it causes covers this one
		}
	}
	l := pq.NewListener(r.listenerURL, r.cfg.MinBackoff, r.cfg.MaxBackoff, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			r.log.Warn("outbox: listen connection", "event", ev.String(), "err", err)
		case pq.ListenerEventReconnected:
			r.log.Info("outbox: listen connection", "event", ev.String())
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
		if err := l.Listen(postgres.OutboxChannel); err != nil {
			if !errors.Is(err, net.ErrClosed) {
				r.log.Error("outbox: listen failed, polling only", "err", err)
			}
			return
		}
		r.listenUp.Store(true)
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
		close(done)
		l.Close()
		wg.Wait()
	}
}
