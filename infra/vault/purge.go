package vault

import (
	"context"
	"fmt"
	"strings"
	"time"
)

const (
	// purgeWait is how long PurgeDestroyed waits for transactions older than
	// the last destruction to end before it gives up until the next round:
	// long enough for the ordinary short ones, short enough for a round.
	purgeWait = 5 * time.Second
	// purgeLockTimeout bounds the wait for the table lock. While it waits,
	// every other use of the key store queues behind it, so it is short; a
	// long reader (a pg_dump of the key store) makes the purge fail and the
	// next round try again.
	purgeLockTimeout = "1s"
	// purgeLock is the advisory lock that lets one process purge at a time.
	purgeLock = 0x1d5_0002
)

// PurgeDestroyed removes the bytes of destroyed epoch keys from the key
// store's pages. Destroying a key writes a row version without it, but the
// old version stays in the table file; VACUUM marks its space free without
// clearing it. So when any key was destroyed since the last purge (the
// table epoch_key_leftovers says so), PurgeDestroyed rewrites epoch_keys
// (CLUSTER), which copies only the row versions some transaction may still
// see into a new file and empties the old one at commit. The rewrite holds
// an ACCESS EXCLUSIVE lock on epoch_keys, which every vault call waits for:
// about as long as it takes to copy the table and rebuild its index
// (BenchmarkPurgeDestroyed). It reports whether it rewrote the table.
//
// An old version can only go once no transaction or snapshot that might see
// it is left: a transaction older than the last destruction anywhere on the
// server, an older snapshot in the key store database, a standby's
// hot_standby_feedback, a replication slot or a prepared transaction. Until
// then a rewrite would copy the key bytes into the new file, so
// PurgeDestroyed waits up to purgeWait for them to end and otherwise fails
// with ErrKeyBytesHeld naming them, leaving the leftovers for the next call.
// Safe to call from several processes at once: one purges, the others
// return false at once. Call it after each retention round.
func (v *Vault) PurgeDestroyed(ctx context.Context) (bool, error) {
	wait := v.purgeWait
	if wait <= 0 {
		wait = purgeWait
	}
	deadline := time.Now().Add(wait)
	for {
		var pending bool
		if err := v.keystore.GetContext(ctx, &pending, `SELECT EXISTS (SELECT 1 FROM epoch_key_leftovers)`); err != nil {
			return false, fmt.Errorf("vault: purge destroyed epoch keys: %w", err)
		}
		if !pending {
			return false, nil
		}
		held, err := heldBy(ctx, v.keystore)
		if err != nil {
			return false, fmt.Errorf("vault: purge destroyed epoch keys: %w", err)
		}
		if len(held) == 0 {
			var rewrote bool
			if rewrote, held, err = v.rewrite(ctx); err != nil || len(held) == 0 {
				return rewrote, err
			}
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("vault: purge destroyed epoch keys: %w: %s", ErrKeyBytesHeld, strings.Join(held, "; "))
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("vault: purge destroyed epoch keys: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// rewrite rewrites epoch_keys under an exclusive lock unless another
// process is purging, or, once it holds the lock, the leftovers are gone
// (another process purged them) or are still held; then it changes nothing
// and returns the holders.
func (v *Vault) rewrite(ctx context.Context) (bool, []string, error) {
	tx, err := v.keystore.BeginTxx(ctx, nil)
	if err != nil {
		return false, nil, fmt.Errorf("vault: purge destroyed epoch keys: %w", err)
	}
	defer tx.Rollback()
	var alone bool
	if err := tx.GetContext(ctx, &alone, `SELECT pg_try_advisory_xact_lock($1)`, purgeLock); err != nil {
		return false, nil, fmt.Errorf("vault: purge destroyed epoch keys: %w", err)
	}
	if !alone {
		return false, nil, nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT set_config('lock_timeout', $1, true)`, purgeLockTimeout); err != nil {
		return false, nil, fmt.Errorf("vault: purge destroyed epoch keys: %w", err)
	}
	// With the lock held no destroyer is between its change and its commit
	// (each takes a lock on epoch_keys first), so the leftovers read next
	// are all there are until the commit.
	if _, err := tx.ExecContext(ctx, `LOCK TABLE epoch_keys IN ACCESS EXCLUSIVE MODE`); err != nil {
		return false, nil, fmt.Errorf("vault: purge destroyed epoch keys: lock epoch_keys: %w", err)
	}
	var pending bool
	if err := tx.GetContext(ctx, &pending, `SELECT EXISTS (SELECT 1 FROM epoch_key_leftovers)`); err != nil {
		return false, nil, fmt.Errorf("vault: purge destroyed epoch keys: %w", err)
	}
	if !pending {
		return false, nil, nil
	}
	held, err := heldBy(ctx, tx)
	if err != nil || len(held) > 0 {
		return false, held, err
	}
	// CLUSTER, unlike VACUUM FULL, runs inside a transaction block, so the
	// rewrite and clearing the leftovers commit together.
	if _, err := tx.ExecContext(ctx, `CLUSTER epoch_keys USING epoch_keys_pkey`); err != nil {
		return false, nil, fmt.Errorf("vault: purge destroyed epoch keys: rewrite: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `TRUNCATE epoch_key_leftovers`); err != nil {
		return false, nil, fmt.Errorf("vault: purge destroyed epoch keys: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, nil, fmt.Errorf("vault: purge destroyed epoch keys: commit: %w", err)
	}
	return true, nil, nil
}

// heldBy lists what would make a rewrite now keep the old row versions of
// the newest transaction in epoch_key_leftovers. PostgreSQL drops a version
// only if the transaction that replaced it precedes the database's vacuum
// horizon: the oldest xmin or xid of the database's backends, of replication
// slots and of standbys' hot_standby_feedback, less vacuum_defer_cleanup_age
// (PostgreSQL 15 and earlier). A snapshot's xmin is the oldest transaction
// running anywhere on the server, so those count wherever they run (the
// purge's own snapshot would carry them). It errs towards listing too much:
// a VACUUM running in the database counts too.
func heldBy(ctx context.Context, q interface {
	SelectContext(context.Context, any, string, ...any) error
}) ([]string, error) {
	var held []string
	err := q.SelectContext(ctx, &held, `
		WITH d AS (SELECT max(xid)::xid AS xid FROM epoch_key_leftovers)
		SELECT format('transaction of backend %s (%s) since %s', a.pid, coalesce(a.datname, a.backend_type), a.xact_start)
		FROM pg_stat_activity a, d
		WHERE a.pid <> pg_backend_pid() AND age(a.backend_xid) >= age(d.xid)
		UNION ALL
		SELECT format('snapshot of backend %s (%s) since %s', a.pid, coalesce(a.datname, a.backend_type), coalesce(a.xact_start, a.backend_start))
		FROM pg_stat_activity a, d
		WHERE a.pid <> pg_backend_pid() AND age(a.backend_xmin) >= age(d.xid)
		  AND (a.datname = current_database() OR a.backend_type = 'walsender')
		  AND NOT coalesce(age(a.backend_xid) >= age(d.xid), false)
		UNION ALL
		SELECT format('replication slot %s', s.slot_name) FROM pg_replication_slots s, d WHERE age(s.xmin) >= age(d.xid)
		UNION ALL
		SELECT format('prepared transaction %s', p.gid) FROM pg_prepared_xacts p, d WHERE age(p.transaction) >= age(d.xid)
		UNION ALL
		SELECT 'vacuum_defer_cleanup_age = ' || s FROM current_setting('vacuum_defer_cleanup_age', true) s WHERE s <> '0'`)
	if err != nil {
		return nil, fmt.Errorf("find what holds destroyed key bytes: %w", err)
	}
	return held, nil
}
