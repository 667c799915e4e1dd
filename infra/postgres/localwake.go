package postgres

import (
	"cmp"
	"database/sql"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"weak"
)

// Waking the relay in this process. A commit that appends to the outbox
// wakes the relay (wakeRelay). When a relay of this process listens on the
// same database (OutboxListener.Listen registers it here), the commit wakes
// it directly instead of sending NOTIFY: one statement and transaction less
// per outbox commit. A relay drains every row waiting, whoever appended
// it, so waking the local one is enough; a process without a relay (a
// worker) still notifies, and the relays of other processes still have
// their notifications from such processes and their poll.
//
// A database is named by the host, port and database name its connection
// string gives (database); a pool or listener whose string names none of
// them, or that cannot be read, wakes by NOTIFY only.

// localRelays are the wake functions of this process's relays, by
// database.
var localRelays = struct {
	sync.Mutex
	byDB map[string]map[*int]func()
}{byDB: map[string]map[*int]func(){}}

// pools are the databases of the pools Open and OpenApp returned, by pool.
var pools sync.Map // weak.Pointer[sql.DB] → string

// rememberPool records the database of db, a pool opened on dsn, until
// db is collected.
func rememberPool(db *sql.DB, dsn string) {
	id := database(dsn)
	if id == "" {
		return
	}
	key := weak.Make(db)
	pools.Store(key, id)
	runtime.AddCleanup(db, func(k weak.Pointer[sql.DB]) { pools.Delete(k) }, key)
}

// registerRelay makes wake the way commits of this process on the database
// of dsn wake its relay, until the returned function is called.
func registerRelay(dsn string, wake func()) (unregister func()) {
	id := database(dsn)
	if id == "" {
		return func() {}
	}
	key := new(int)
	localRelays.Lock()
	if localRelays.byDB[id] == nil {
		localRelays.byDB[id] = map[*int]func(){}
	}
	localRelays.byDB[id][key] = wake
	localRelays.Unlock()
	return func() {
		localRelays.Lock()
		delete(localRelays.byDB[id], key)
		if len(localRelays.byDB[id]) == 0 {
			delete(localRelays.byDB, id)
		}
		localRelays.Unlock()
	}
}

// wakeLocal wakes the relays of this process on db's database and reports
// whether there was one.
func wakeLocal(db *sql.DB) bool {
	v, ok := pools.Load(weak.Make(db))
	if !ok {
		return false
	}
	localRelays.Lock()
	wakes := make([]func(), 0, len(localRelays.byDB[v.(string)]))
	for _, w := range localRelays.byDB[v.(string)] {
		wakes = append(wakes, w)
	}
	localRelays.Unlock()
	for _, w := range wakes {
		w()
	}
	return len(wakes) > 0
}

// database names the database a connection string (a postgres:// URL or
// key=value pairs) connects to: host, port and database name, "" when it
// gives none of them or cannot be read. Two strings that name one server
// differently (localhost, 127.0.0.1) give two names: their relays are then
// woken by NOTIFY.
func database(dsn string) string {
	var host, port, name string
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return ""
		}
		q := u.Query()
		host, port = cmp.Or(q.Get("host"), u.Hostname()), cmp.Or(q.Get("port"), u.Port())
		name = cmp.Or(q.Get("dbname"), strings.TrimPrefix(u.Path, "/"))
	} else {
		if strings.ContainsAny(dsn, `'\`) {
			return "" // quoted values: not read here
		}
		for _, kv := range strings.Fields(dsn) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "host":
				host = v
			case "port":
				port = v
			case "dbname":
				name = v
			}
		}
	}
	if host == "" && port == "" && name == "" {
		return ""
	}
	return host + "\x00" + port + "\x00" + name
}
