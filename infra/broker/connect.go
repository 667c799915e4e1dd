package broker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Reconnect backoff: doubling from reconnectMin to reconnectMax, with up to
// a quarter of jitter so that a restarted broker is not hit by every
// worker at the same instant.
const (
	reconnectMin = 100 * time.Millisecond
	reconnectMax = 5 * time.Second
)

// Connect connects to the NATS server(s) at url (comma-separated for a
// cluster) as client name and checks that the server is at least
// MinServerVersion and that JetStream is available. It keeps
// trying until ctx ends, also when the server is not up yet, and once
// connected the connection reconnects forever. More options (handlers to
// log disconnects, credentials) may be appended.
func Connect(ctx context.Context, url, name string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	where := redact(url)
	// The reason a connection attempt failed (refused, authorization) is
	// only reported to a handler; keep the latest for the error we return.
	var lastErr atomic.Pointer[error]
	all := append([]nats.Option{
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				lastErr.Store(&err)
			}
		}),
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(reconnectDelay),
		// Notice a dead peer in well under a minute rather than the
		// default two.
		nats.PingInterval(20 * time.Second),
	}, opts...)
	nc, err := nats.Connect(url, all...)
	if err != nil {
		return nil, nil, fmt.Errorf("jetstream: connect to %s: %w", where, err)
	}
	if err := waitConnected(ctx, nc); err != nil {
		last := nc.LastError()
		nc.Close()
		if p := lastErr.Load(); p != nil {
			last = *p
		}
		if last != nil {
			return nil, nil, fmt.Errorf("jetstream: connect to %s: %w (last attempt: %v)", where, err, last)
		}
		return nil, nil, fmt.Errorf("jetstream: connect to %s: %w", where, err)
	}
	// Checked once, at connect: a reconnect to another server of a cluster
	// is not checked again (run the servers of a cluster at one version).
	if err := CheckServer(nc); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: connect to %s: %w", where, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		nc.Close()
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, nil, fmt.Errorf("jetstream: %s has JetStream disabled (server option -js / jetstream {}): %w", where, err)
		}
		return nil, nil, fmt.Errorf("jetstream: account info from %s: %w", where, err)
	}
	return nc, js, nil
}

// waitConnected waits until nc is connected, or ctx ends, or nc is closed.
func waitConnected(ctx context.Context, nc *nats.Conn) error {
	ch := nc.StatusChanged(nats.CONNECTED, nats.CLOSED)
	defer nc.RemoveStatusListener(ch)
	for {
		switch nc.Status() {
		case nats.CONNECTED:
			return nil
		case nats.CLOSED:
			return errors.New("connection closed")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("not connected: %w", ctx.Err())
		}
	}
}

func reconnectDelay(attempts int) time.Duration {
	d := reconnectMax
	if attempts < 16 {
		d = min(reconnectMin<<max(attempts-1, 0), reconnectMax)
	}
	return d - rand.N(d/4+1)
}

// redact drops credentials from server URLs before they go into errors.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			continue
		}
		u.User = nil
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}
