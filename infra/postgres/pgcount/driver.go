package pgcount

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
)

// connector opens connections through the driver's connector, each with
// the socket the tap dialed for it.
type connector struct {
	inner driver.Connector
	tap   *Tap
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	var s *socket
	dc, err := c.inner.Connect(context.WithValue(ctx, socketKey{}, &s))
	if err != nil {
		return nil, err
	}
	c.tap.c.connected()
	return &conn{inner: dc, tap: c.tap, sock: s}, nil
}

func (c *connector) Driver() driver.Driver { return c.inner.Driver() }

// conn counts what is sent on one connection: into the open transaction
// (tx), or as a transaction of its own per statement outside one.
type conn struct {
	inner driver.Conn
	tap   *Tap
	sock  *socket
	tx    *Tx
}

var errUnsupported = errors.New("pgcount: the driver lacks the context-aware interfaces")

// run runs one command and counts it into the open transaction or, outside
// one, as a transaction of its own.
func (c *conn) run(query string, args []any, f func() error) error {
	before := c.sock.roundTrips()
	err := f()
	trips := c.sock.roundTrips() - before
	n := commands(query, args)
	if c.tx != nil {
		c.tx.Statements += n
		c.tx.RoundTrips += trips
		c.tx.Queries = append(c.tx.Queries, query)
		c.tx.Args = append(c.tx.Args, args)
		return err
	}
	store, stage, fn := label()
	c.tap.c.add(Tx{DB: c.tap.db, Store: store, Stage: stage, Func: fn, Statements: n, RoundTrips: trips,
		Queries: []string{query}, Args: [][]any{args}})
	return err
}

// commands is how many commands the server runs for query: one for a
// statement with arguments; for one without, which goes as a simple query,
// its parts between semicolons ("SET LOCAL …; SET LOCAL …" is two). A
// semicolon inside a literal or a comment would be miscounted; the stores'
// simple queries hold none.
func commands(query string, args []any) int {
	if len(args) > 0 {
		return 1
	}
	n := 0
	for part := range strings.SplitSeq(query, ";") {
		if strings.TrimSpace(part) != "" {
			n++
		}
	}
	return max(n, 1)
}

// named is the values of args.
func named(args []driver.NamedValue) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}

// values is args as []any.
func values(args []driver.Value) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	p, ok := c.inner.(driver.ConnPrepareContext)
	if !ok {
		return nil, errUnsupported
	}
	// Preparing is a round trip of the transaction (or statement) it
	// serves; it is no statement of its own.
	before := c.sock.roundTrips()
	st, err := p.PrepareContext(ctx, query)
	if c.tx != nil {
		c.tx.RoundTrips += c.sock.roundTrips() - before
	}
	if err != nil {
		return nil, err
	}
	return &stmt{inner: st, conn: c, query: query}, nil
}

func (c *conn) Close() error { return c.inner.Close() }

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.inner.(driver.ConnBeginTx)
	if !ok {
		return nil, errUnsupported
	}
	store, stage, fn := label()
	before := c.sock.roundTrips()
	dtx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.tx = &Tx{DB: c.tap.db, Store: store, Stage: stage, Func: fn, Explicit: true, Statements: 1,
		RoundTrips: c.sock.roundTrips() - before}
	if e, ok := dtx.(entered); ok {
		// The scope's entry went with the BEGIN: commands of their own to
		// the server, in the BEGIN's round trip.
		c.tx.Statements += commands(e.Entry(), nil)
		c.tx.Queries = append(c.tx.Queries, e.Entry())
		c.tx.Args = append(c.tx.Args, nil)
	}
	return &tx{inner: dtx, conn: c}, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.inner.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	var res driver.Result
	err := c.run(query, named(args), func() (err error) { res, err = e.ExecContext(ctx, query, args); return err })
	return res, err
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	var rows driver.Rows
	err := c.run(query, named(args), func() (err error) { rows, err = q.QueryContext(ctx, query, args); return err })
	return rows, err
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.inner.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// entered is a transaction begun with a statement sent in the BEGIN's
// round trip (infra/postgres's scope entry), which Entry names.
type entered interface{ Entry() string }

// tx ends the connection's open transaction.
type tx struct {
	inner driver.Tx
	conn  *conn
}

func (t *tx) Commit() error   { return t.end(t.inner.Commit, false) }
func (t *tx) Rollback() error { return t.end(t.inner.Rollback, true) }

func (t *tx) end(f func() error, rollback bool) error {
	c := t.conn
	before := c.sock.roundTrips()
	err := f()
	if rec := c.tx; rec != nil {
		rec.Statements++
		rec.RoundTrips += c.sock.roundTrips() - before
		rec.RolledBack = rollback
		c.tx = nil
		c.tap.c.add(*rec)
	}
	return err
}

// stmt counts the executions of a prepared statement.
type stmt struct {
	inner driver.Stmt
	conn  *conn
	query string
}

func (s *stmt) Close() error  { return s.inner.Close() }
func (s *stmt) NumInput() int { return s.inner.NumInput() }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	var res driver.Result
	err := s.conn.run(s.query, values(args), func() (err error) { res, err = s.inner.Exec(args); return err }) //nolint:staticcheck // the driver's own fallback
	return res, err
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	var rows driver.Rows
	err := s.conn.run(s.query, values(args), func() (err error) { rows, err = s.inner.Query(args); return err }) //nolint:staticcheck // the driver's own fallback
	return rows, err
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.inner.(driver.StmtExecContext)
	if !ok {
		return nil, errUnsupported
	}
	var res driver.Result
	err := s.conn.run(s.query, named(args), func() (err error) { res, err = e.ExecContext(ctx, args); return err })
	return res, err
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.inner.(driver.StmtQueryContext)
	if !ok {
		return nil, errUnsupported
	}
	var rows driver.Rows
	err := s.conn.run(s.query, named(args), func() (err error) { rows, err = q.QueryContext(ctx, args); return err })
	return rows, err
}
