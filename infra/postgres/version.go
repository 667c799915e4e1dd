package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// MinServerVersion is the oldest PostgreSQL IDV runs on, as
// server_version_num: 15. The key store's purge takes max() over xid8
// (infra/vault purge.go), an aggregate PostgreSQL 15 added; the
// migrations' pg_current_xact_id() and xid8 columns need 13. 15 is also
// what the tests and the published measurements run on.
const MinServerVersion = 150000

// ErrServerTooOld marks a server older than MinServerVersion.
var ErrServerTooOld = errors.New("postgres: server too old")

// ServerVersion reads the server's version as server_version_num (e.g.
// 150020 for 15.20).
func ServerVersion(ctx context.Context, db *sql.DB) (int, error) {
	var s string
	if err := db.QueryRowContext(ctx, `SHOW server_version_num`).Scan(&s); err != nil {
		return 0, fmt.Errorf("postgres: read server_version_num: %w", err)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("postgres: server_version_num %q: %w", s, err)
	}
	return n, nil
}

// CheckServerVersion refuses a server_version_num below MinServerVersion,
// saying which version was found and which is needed.
func CheckServerVersion(num int) error {
	if num < MinServerVersion {
		return fmt.Errorf("%w: PostgreSQL %s, IDV needs %s or later (upgrade the server; docs/operating.md, Minimum versions)",
			ErrServerTooOld, VersionString(num), VersionString(MinServerVersion))
	}
	return nil
}

// VersionString spells a server_version_num as people do: 15.20 for 150020,
// 9.6.24 for 90624 (before 10 the minor version had two parts).
func VersionString(num int) string {
	if num < 100000 {
		return fmt.Sprintf("%d.%d.%d", num/10000, num/100%100, num%100)
	}
	return fmt.Sprintf("%d.%d", num/10000, num%10000)
}
