package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// ServerCPU measures the CPU time a PostgreSQL server on this machine spends
// for a run: its backends serving the run's databases (autovacuum's
// workers there included) and its background processes that serve no one
// database (WAL writer, checkpointer, background writer…; they also work
// for the server's other databases), read from /proc. A
// backend that starts and ends between two readings is not seen, so keep
// the pools' connections open across the run (the stores' pools do).
type ServerCPU struct {
	db        *sql.DB
	databases []string
	start     map[int]float64
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture.
const clockTicks = 100

// StartServerCPU starts measuring over db, a connection allowed to see
// every backend (a superuser, or a member of pg_read_all_stats), for the
// databases named. It fails when the server's processes are not on this
// machine.
func StartServerCPU(ctx context.Context, db *sql.DB, databases ...string) (*ServerCPU, error) {
	s := &ServerCPU{db: db, databases: databases}
	start, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	if len(start) == 0 {
		return nil, fmt.Errorf("postgres: server CPU: no server process found on this machine")
	}
	s.start = start
	return s, nil
}

// Seconds is the CPU time those processes used since the start.
func (s *ServerCPU) Seconds(ctx context.Context) (float64, error) {
	now, err := s.read(ctx)
	if err != nil {
		return 0, err
	}
	var total float64
	for pid, t := range now {
		total += t - s.start[pid] // 0 for a process started since
	}
	return total, nil
}

// read is the CPU seconds of each process the measure covers, by pid.
func (s *ServerCPU) read(ctx context.Context) (map[int]float64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity
		WHERE datname = ANY($1) OR (datname IS NULL AND backend_type <> 'client backend')`, "{"+strings.Join(s.databases, ",")+"}")
	if err != nil {
		return nil, fmt.Errorf("postgres: server CPU: list backends: %w", err)
	}
	defer rows.Close()
	out := map[int]float64{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil, fmt.Errorf("postgres: server CPU: %w", err)
		}
		if t, ok := processCPU(pid); ok {
			out[pid] = t
		}
	}
	return out, rows.Err()
}

// processCPU is the user and system CPU seconds of a postgres process on
// this machine; false when there is no such process here.
func processCPU(pid int) (float64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseProcStat(string(b))
}

// parseProcStat reads utime and stime (fields 14 and 15) of a postgres
// process's /proc/<pid>/stat; the command, field 2, is in parentheses and
// may hold spaces.
func parseProcStat(stat string) (float64, bool) {
	open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || end < open || !strings.HasPrefix(stat[open+1:end], "postgres") {
		return 0, false
	}
	f := strings.Fields(stat[end+1:]) // from field 3, the state
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil || !(utime >= 0 && stime >= 0) || math.IsInf(utime+stime, 0) {
		return 0, false // the kernel writes tick counts: never NaN, negative or infinite
	}
	return (utime + stime) / clockTicks, true
}
