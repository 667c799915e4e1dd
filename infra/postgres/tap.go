package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"net"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// Option varies how Open and OpenApp connect.
type Option func(*options)

type options struct {
	tap Tap
	// transactions is where the pool counts its transactions: the
	// process's count (Transactions) unless a test gives its own.
	transactions *atomic.Int64
}

// A Tap sees every connection a pool opens and every call of database/sql
// on it: infra/postgres/pgcount's counts round trips and statements for
// tests. Services open their pools without one.
type Tap interface {
	// DialContext opens the socket of a connection.
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
	// Connector wraps the driver's connector.
	Connector(driver.Connector) driver.Connector
}

// WithTap opens the pool through t.
func WithTap(t Tap) Option { return func(o *options) { o.tap = t } }

// openPool opens the pool of lib/pq's connections that prepare their
// statements (preparingConnector), through the tap when there is one.
func openPool(url string, o options) (*sql.DB, error) {
	c, err := pq.NewConnector(url)
	if err != nil {
		return nil, err
	}
	counted := preparingConnector{inner: c, transactions: cmp.Or(o.transactions, &transactions)}
	if o.tap == nil {
		return sql.OpenDB(counted), nil
	}
	c.Dialer(tapDialer{o.tap})
	return sql.OpenDB(o.tap.Connector(counted)), nil
}

// tapDialer is a Tap as lib/pq's Dialer.
type tapDialer struct{ tap Tap }

func (d tapDialer) Dial(network, address string) (net.Conn, error) {
	return d.tap.DialContext(context.Background(), network, address)
}

func (d tapDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.tap.DialContext(ctx, network, address)
}

func (d tapDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d.tap.DialContext(ctx, network, address)
}
