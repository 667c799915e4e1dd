package broker

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MinServerVersion is the oldest nats-server IDV runs on. 2.10.0 brought
// what IDV relies on: consumers with several filter subjects (the notify
// stage consumes five event types, ConsumerConfig's FilterSubjects), and
// the `sync_interval` setting the production configuration uses
// (infra/nats/nats-server.conf, `sync_interval: always`). A 2.9 server
// refuses the first with "multiple consumer filter subjects not supported"
// and does not start with the second.
const MinServerVersion = "2.10.0"

// ErrServerTooOld marks a server older than MinServerVersion.
var ErrServerTooOld = errors.New("nats-server too old")

// ServerVersioner is what the version check reads of a connection; a
// *nats.Conn is one.
type ServerVersioner interface {
	ConnectedServerVersion() string
}

// CheckServer refuses a connection to a server older than MinServerVersion,
// saying which version it found and which IDV needs.
func CheckServer(c ServerVersioner) error {
	return CheckServerVersion(c.ConnectedServerVersion())
}

// CheckServerVersion is CheckServer's test of a version string as a server
// announces it ("2.10.22", "v2.11.0-RC.1").
func CheckServerVersion(version string) error {
	cmp, err := compareVersions(version, MinServerVersion)
	if err != nil {
		return fmt.Errorf("cannot tell the nats-server's version (%q): %w; IDV needs %s or later", version, err, MinServerVersion)
	}
	if cmp < 0 {
		return fmt.Errorf("%w: %s, IDV needs %s or later (consumers with several filter subjects; upgrade the server, see docs/operating.md, Minimum versions)",
			ErrServerTooOld, version, MinServerVersion)
	}
	return nil
}

// compareVersions compares two versions major.minor.patch[-prerelease]
// (a leading v allowed) as semantic versioning orders them: a pre-release
// precedes its release; two pre-releases of one release count as equal.
func compareVersions(a, b string) (int, error) {
	va, err := parseVersion(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseVersion(b)
	if err != nil {
		return 0, err
	}
	for i := range 4 {
		if va[i] != vb[i] {
			if va[i] < vb[i] {
				return -1, nil
			}
			return 1, nil
		}
	}
	return 0, nil
}

// parseVersion reads major.minor.patch and whether it is a release (1) or
// a pre-release (0); build metadata (+…) is ignored.
func parseVersion(v string) ([4]int, error) {
	var out [4]int
	s := strings.TrimPrefix(strings.TrimSpace(v), "v")
	s, _, _ = strings.Cut(s, "+")
	s, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (hasPre && pre == "") {
		return out, fmt.Errorf("version %q: want major.minor.patch", v)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || p[0] == '+' {
			return out, fmt.Errorf("version %q: want major.minor.patch", v)
		}
		out[i] = n
	}
	if !hasPre {
		out[3] = 1
	}
	return out, nil
}
