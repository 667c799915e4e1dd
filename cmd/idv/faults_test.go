package main

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/producers/retention"
	"github.com/idv-oss/idv/schemas"
)

// proxy forwards TCP to target and can be taken down: while down it
// refuses every connection and cuts the open ones, as a store that is
// unreachable would.
type proxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[u] = true, true
	p.mu.Unlock()
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

func (p *proxy) setDown(down bool) {
	p.down.Store(down)
	if !down {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// TestWipeOutlastsAStorageOutage: S3 goes down after a session was decided
// and before its deadline. The retention scan still claims it, the wipe
// destroys the session key at once (crypto-shredding needs no storage),
// fails on the objects and is retried with backoff while the overdue gauge
// shows the missed deadline; when storage returns the wipe completes by
// itself and the gauge goes back to 0.
func TestWipeOutlastsAStorageOutage(t *testing.T) {
	var px *proxy
	s := startSystemWith(t, systemOptions{objects: func(real *objects.Store) *objects.Store {
		gw := s3test.Gateway()
		px = newProxy(t, strings.TrimPrefix(gw.Endpoint, "http://"))
		cfg := gw.ObjectsConfig(real.Bucket())
		cfg.Endpoint = "http://" + px.ln.Addr().String()
		st, err := objects.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}})
	v := s.newVerification()
	s.await(v, s.submit(v, nil))
	deleted := s.rcv.Await(v.id, schemas.WebhookSessionDeleted)

	px.setDown(true)
	reg := prometheus.NewRegistry()
	later := time.Now().Add(49 * time.Hour)
	sweeper := retention.New(retention.Deps{Store: postgres.NewRetention(s.st.db), Keys: s.st.vault,
		Now: func() time.Time { return later }, Metrics: retention.NewMetrics(reg)}, retention.Config{})
	if round, err := sweeper.RunOnce(context.Background()); err != nil || round.Claimed != 1 {
		t.Fatalf("retention during the outage: %+v %v", round, err)
	}
	// The wipe fails on storage and is retried…
	deadline := time.Now().Add(time.Minute)
	for testutil.ToFloat64(stageCounter(t, s.reg, "wipe", "nak")) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("no failed wipe attempt recorded during the storage outage")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// …the key is already destroyed, and the missed deadline shows.
	var keys int
	s.owner.Get(&keys, `SELECT count(*) FROM session_keys WHERE session_id = $1`, v.id)
	if keys != 0 {
		t.Fatal("the session key outlived the first wipe attempt")
	}
	if round, err := sweeper.RunOnce(context.Background()); err != nil || round.Overdue != 1 ||
		testutil.ToFloat64(gauge(t, reg, "idv_retention_overdue_sessions")) != 1 {
		t.Fatalf("overdue during the outage: %+v %v", round, err)
	}

	px.setDown(false)
	s.checkWiped(v, s.awaitType(v, deleted), schemas.WipeExpired)
	if round, err := sweeper.RunOnce(context.Background()); err != nil || round.Overdue != 0 ||
		testutil.ToFloat64(gauge(t, reg, "idv_retention_overdue_sessions")) != 0 {
		t.Fatalf("overdue after storage came back: %+v %v", round, err)
	}
}

// stageCounter finds idv_stage_messages_total{stage,outcome} in reg.
func stageCounter(t *testing.T, reg *prometheus.Registry, stage, outcome string) prometheus.Collector {
	t.Helper()
	return collectorOf(t, reg, "idv_stage_messages_total", map[string]string{"stage": stage, "outcome": outcome})
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	return collectorOf(t, reg, name, nil)
}

// collectorOf wraps the current value of one series of reg as a collector
// testutil can read.
func collectorOf(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) prometheus.Collector {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	v := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue metrics
				}
			}
			v += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "value", Help: "value"})
	g.Set(v)
	return g
}
