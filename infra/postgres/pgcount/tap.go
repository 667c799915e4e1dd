package pgcount

import (
	"context"
	"database/sql/driver"
	"net"
	"sync/atomic"
)

// Tap returns what postgres.WithTap takes: it counts the connections of
// one pool under the name db.
func (c *Counter) Tap(db string) *Tap { return &Tap{c: c, db: db} }

// Tap sees the connections of one pool: their sockets (DialContext) and
// the driver's calls on them (Connector).
type Tap struct {
	c  *Counter
	db string
}

// socketKey carries, from Connect to DialContext, where to leave the
// socket the driver dials for the connection being opened.
type socketKey struct{}

// DialContext dials as net.Dialer does and counts the round trips on the
// connection.
func (t *Tap) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	s := &socket{Conn: nc}
	if slot, ok := ctx.Value(socketKey{}).(**socket); ok {
		*slot = s
	}
	return s, nil
}

// Connector wraps the driver's connector.
func (t *Tap) Connector(inner driver.Connector) driver.Connector {
	return &connector{inner: inner, tap: t}
}

// socket counts round trips: a write that follows a read (or is the
// first) starts one. The driver uses a connection from one goroutine at a
// time; the counter is atomic for the reads of it between calls.
type socket struct {
	net.Conn
	trips   atomic.Int64
	reading atomic.Bool
}

func (s *socket) Write(p []byte) (int, error) {
	if s.reading.Swap(false) || s.trips.Load() == 0 {
		s.trips.Add(1)
	}
	return s.Conn.Write(p)
}

func (s *socket) Read(p []byte) (int, error) {
	s.reading.Store(true)
	return s.Conn.Read(p)
}

// roundTrips is how many round trips s has seen (0 for a socket the tap
// did not dial).
func (s *socket) roundTrips() int {
	if s == nil {
		return 0
	}
	return int(s.trips.Load())
}
