package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// A transaction's start and its scope in one round trip (issue 20: round
// trips). Every store transaction starts with BEGIN and then enters its
// scope with SET LOCAL commands (scope.entryQuery), which have no
// parameters; preparingConn sends them with the BEGIN as one simple query,
// so the server runs every command and the client waits once.
//
// preparingConn sends every BEGIN itself, with or without an entry, rather
// than through lib/pq's BeginTx: lib/pq keeps the cancel watch its BeginTx
// starts and calls it again at the end of every later transaction on the
// connection, which, once that watch's context is done, closes the
// connection. Without it a transaction is still cancelled as database/sql
// does it (a rollback when the context ends) and each statement by its own
// watch.

// entry is a scope's entry statement, handed to the connection with the
// transaction's start through the context (entryKey); sent is set when it
// went with the BEGIN.
type entry struct {
	query string
	sent  bool
}

type entryKey struct{}

// BeginTx starts a transaction by sending BEGIN in opts' mode and, when
// ctx carries an entry, that statement with it. It falls back to lib/pq's
// BeginTx for an isolation level lib/pq does not name.
func (c *preparingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	self, ok := c.pqConn.(driver.Tx) // lib/pq's connection is its own transaction
	mode, known := beginMode(opts)
	if !ok || !known {
		tx, err := c.pqConn.BeginTx(ctx, opts)
		if err != nil {
			return nil, err
		}
		return c.began(tx), nil
	}
	q := "BEGIN" + mode
	e, _ := ctx.Value(entryKey{}).(*entry)
	if e != nil {
		q += "; " + e.query
	}
	if _, err := c.pqConn.ExecContext(ctx, q, nil); err != nil {
		// A BEGIN that ran leaves a transaction open (aborted by the failed
		// entry): end it before the connection goes back to the pool. When
		// none is open lib/pq sends nothing.
		self.Rollback()
		return nil, err
	}
	if e == nil {
		return c.began(self), nil
	}
	e.sent = true
	return enteredTx{Tx: c.began(self), entry: e.query}, nil
}

// began counts a transaction begun on c and returns tx, which notes its
// end on c.
func (c *preparingConn) began(tx driver.Tx) driver.Tx {
	c.transactions.Add(1)
	c.inTx = true
	return ownTx{Tx: tx, c: c}
}

// ownTx is a transaction of c: its end ends c's.
type ownTx struct {
	driver.Tx
	c *preparingConn
}

func (t ownTx) Commit() error {
	t.c.inTx = false
	return t.Tx.Commit()
}

func (t ownTx) Rollback() error {
	t.c.inTx = false
	return t.Tx.Rollback()
}

// beginMode is the BEGIN's mode for opts, as lib/pq words it; false for an
// isolation level it does not know.
func beginMode(opts driver.TxOptions) (string, bool) {
	var mode string
	switch sql.IsolationLevel(opts.Isolation) {
	case sql.LevelDefault:
	case sql.LevelReadUncommitted:
		mode = " ISOLATION LEVEL READ UNCOMMITTED"
	case sql.LevelReadCommitted:
		mode = " ISOLATION LEVEL READ COMMITTED"
	case sql.LevelRepeatableRead:
		mode = " ISOLATION LEVEL REPEATABLE READ"
	case sql.LevelSerializable:
		mode = " ISOLATION LEVEL SERIALIZABLE"
	default:
		return "", false
	}
	if opts.ReadOnly {
		return mode + " READ ONLY", true
	}
	return mode + " READ WRITE", true
}

// enteredTx is a transaction begun with its scope's entry. Entry names that
// statement for a tap (pgcount counts it as a statement of its own, sent
// in the BEGIN's round trip).
type enteredTx struct {
	driver.Tx
	entry string
}

// Entry is the statement sent with the BEGIN.
func (t enteredTx) Entry() string { return t.entry }
