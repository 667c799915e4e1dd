package natsserver

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clusterTimeout bounds how long StartCluster waits for the nodes to elect
// a JetStream meta leader.
const clusterTimeout = 30 * time.Second

// StartCluster starts n servers on loopback as one JetStream cluster named
// "idv", each with its store in a directory of its own under dir, and waits
// until they have elected a JetStream leader, every node has caught up and
// the leader has heard from every node, so that a replicated stream can be
// declared at once. It is for tests of
// IDV on a cluster (stream IDV at R3, a node lost mid-run); production runs
// nats-server itself (infra/nats). Route ports are picked free just before
// the nodes start; when one is taken meanwhile — the first node's own
// outgoing route connections can land on a port picked for another — the
// cluster is started again on new ports, up to startAttempts times.
func StartCluster(dir string, n int) ([]*Server, error) {
	if n < 1 {
		return nil, fmt.Errorf("natsserver: a cluster of %d nodes", n)
	}
	var err error
	for attempt := range startAttempts {
		var nodes []*Server
		nodes, err = startCluster(filepath.Join(dir, "attempt-"+strconv.Itoa(attempt)), n)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use") {
			return nodes, err
		}
	}
	return nil, err
}

// startAttempts bounds StartCluster's tries on fresh ports.
const startAttempts = 5

func startCluster(dir string, n int) ([]*Server, error) {
	ports, err := freePorts(n)
	if err != nil {
		return nil, err
	}
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = "nats://127.0.0.1:" + strconv.Itoa(p)
	}
	var nodes []*Server
	stop := func() {
		for _, s := range nodes {
			s.Shutdown()
		}
	}
	for i := range n {
		name := "idv-" + strconv.Itoa(i+1)
		opts := NewOptions(filepath.Join(dir, name))
		opts.Name = name
		opts.Cluster = &Cluster{Name: "idv", Port: ports[i], Routes: routes}
		s, err := Start(opts)
		if err != nil {
			stop()
			return nil, fmt.Errorf("natsserver: cluster node %s: %w", name, err)
		}
		nodes = append(nodes, s)
	}
	deadline := time.Now().Add(clusterTimeout)
	for !metaReady(nodes) {
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("natsserver: no JetStream leader among %d nodes after %s", n, clusterTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nodes, nil
}

// metaReady reports whether one node leads the JetStream meta group, every
// node is current with it, and the leader has heard every node's
// statistics: until it has, it counts that node offline and refuses to
// place a replicated stream there ("no suitable peers for placement, peer
// offline", seen once in a CI run of TestClusterScaleOut on a loaded
// machine).
func metaReady(nodes []*Server) bool {
	leaders := 0
	for _, s := range nodes {
		if !s.srv.JetStreamIsCurrent() {
			return false
		}
		if s.srv.JetStreamIsLeader() {
			leaders++
			if len(s.srv.JetStreamClusterPeers()) != len(nodes) {
				return false
			}
		}
	}
	return leaders == 1
}

// ClientURLs is the comma-separated client URLs of nodes, as IDV_NATS_URL
// takes them.
func ClientURLs(nodes []*Server) string {
	urls := make([]string, len(nodes))
	for i, s := range nodes {
		urls[i] = s.ClientURL()
	}
	return strings.Join(urls, ",")
}

// freePorts finds n distinct free TCP ports on loopback. Another process
// may take one before the server binds it; Start then fails and says so.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("natsserver: reserve a route port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
