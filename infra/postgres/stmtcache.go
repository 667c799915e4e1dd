package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	"github.com/lib/pq"
)

// Prepared statements (issue 20: the database's CPU). Every statement with
// parameters is prepared once per connection, under a name, and run by
// that name afterwards: PostgreSQL then parses and plans it once per
// connection instead of on every call (a one-row read by primary key:
// 32–33 against 62 µs of server CPU, BenchmarkServerCPUPerRead). It
// costs one more round trip on a connection's first use of a statement,
// and none after. A statement without parameters goes as it is (lib/pq
// sends it as a simple query, the tenant scope's entry among them).

// maxPrepared bounds the statements each connection keeps prepared: the
// stores' statements are far fewer; a statement built with a varying
// number of values (the audit log's batches) takes one per shape. Past it
// a statement runs unnamed, as without the cache.
const maxPrepared = 256

// preparingConnector opens connections that prepare their statements and
// count their transactions into transactions.
type preparingConnector struct {
	inner        driver.Connector
	transactions *atomic.Int64
}

func (c preparingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := dc.(pqConn)
	if !ok {
		return dc, nil // not lib/pq's: nothing to prepare through
	}
	return &preparingConn{pqConn: pc, stmts: map[string]driver.Stmt{}, transactions: c.transactions}, nil
}

func (c preparingConnector) Driver() driver.Driver { return c.inner.Driver() }

// pqConn is what lib/pq's connection offers and database/sql uses.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.NamedValueChecker
	driver.SessionResetter
	driver.Validator
	driver.Pinger
}

// preparingConn is one connection and the statements it has prepared, by
// their text. database/sql uses a connection from one goroutine at a
// time, so the map needs no lock.
type preparingConn struct {
	pqConn
	stmts        map[string]driver.Stmt
	inTx         bool          // a transaction begun on the connection has not ended
	transactions *atomic.Int64 // where its transactions are counted
}

// stmt is query's prepared statement, prepared now if it is not yet; nil
// when the cache is full.
func (c *preparingConn) stmt(ctx context.Context, query string) (driver.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	if len(c.stmts) >= maxPrepared {
		return nil, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

// QueryContext runs a statement with parameters by its prepared name.
func (c *preparingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.alone()
	if len(args) == 0 {
		return c.pqConn.QueryContext(ctx, query, args)
	}
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.pqConn.QueryContext(ctx, query, args)
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	c.forgetIfGone(query, err)
	return rows, err
}

// ExecContext runs a statement with parameters by its prepared name.
func (c *preparingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.alone()
	if len(args) == 0 {
		return c.pqConn.ExecContext(ctx, query, args)
	}
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.pqConn.ExecContext(ctx, query, args)
	}
	res, err := st.(driver.StmtExecContext).ExecContext(ctx, args)
	c.forgetIfGone(query, err)
	return res, err
}

// alone counts a statement sent outside a transaction: PostgreSQL runs it
// as a transaction of its own.
func (c *preparingConn) alone() {
	if !c.inTx {
		c.transactions.Add(1)
	}
}

// transactions counts the transactions the pools of this package have
// run: each one begun, and each statement sent outside one.
var transactions atomic.Int64

// Transactions is how many transactions the pools Open and OpenApp opened
// in this process have run since it started: each BEGIN, and each
// statement sent outside a transaction (PostgreSQL runs it as one of its
// own). idv loadgen reads it before and after a run.
func Transactions() int64 { return transactions.Load() }

// forgetIfGone drops query's statement when the server no longer holds it
// as prepared (invalid_sql_statement_name) or can no longer run its plan
// (feature_not_supported: "cached plan must not change result type", after
// a migration changed a table under it): the next call prepares it again.
func (c *preparingConn) forgetIfGone(query string, err error) {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && (pqErr.Code == "26000" || pqErr.Code == "0A000") {
		delete(c.stmts, query)
	}
}
