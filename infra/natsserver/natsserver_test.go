package natsserver_test

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv/infra/natsserver"
)

func start(t testing.TB, opts natsserver.Options) *natsserver.Server {
	t.Helper()
	s, err := natsserver.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t testing.TB, s *natsserver.Server) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return js
}

func TestStartLoopbackWithJetStream(t *testing.T) {
	t.Parallel()
	s := start(t, natsserver.NewOptions(t.TempDir()))

	u, err := url.Parse(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		t.Errorf("ClientURL %s: want a loopback address", s.ClientURL())
	}
	if u.Port() == "4222" || u.Port() == "0" {
		t.Errorf("ClientURL %s: want a free port, not the default or 0", s.ClientURL())
	}

	js := connect(t, s)
	ctx := t.Context()
	info, err := js.AccountInfo(ctx)
	if err != nil {
		t.Fatalf("AccountInfo: %v (JetStream not enabled?)", err)
	}
	if info.Limits.MaxStore == 0 {
		t.Errorf("account has no file storage: %+v", info.Limits)
	}
}

// A message acknowledged by the file store is still there after a restart
// on the same directory.
func TestRestartKeepsMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := natsserver.NewOptions(dir)

	s1, err := natsserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	js := connect(t, s1)
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.1", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s1.ClientURL())
	s1.Shutdown()

	// Same port too: clients configured with the URL find it again.
	opts.Port, _ = strconv.Atoi(u.Port())
	s2 := start(t, opts)
	if s2.ClientURL() != s1.ClientURL() {
		t.Errorf("restarted on %s, want %s", s2.ClientURL(), s1.ClientURL())
	}
	js2 := connect(t, s2)
	stream, err := js2.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg.Data) != "kept" {
		t.Errorf("message 1 = %q, want %q", msg.Data, "kept")
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	if _, err := natsserver.Start(natsserver.Options{}); err == nil {
		t.Error("Start without Dir: want error")
	}

	// A port that is taken gives an error, not a hang.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	opts := natsserver.NewOptions(t.TempDir())
	opts.Port = l.Addr().(*net.TCPAddr).Port
	if s, err := natsserver.Start(opts); err == nil {
		s.Shutdown()
		t.Errorf("Start on a port in use: want error")
	} else {
		t.Logf("port in use: %v", err)
	}
}

// BenchmarkPublish measures synchronous publishes of 1 KiB to an R1 file
// stream, each waiting for its PubAck, with every write synced and with
// the server default (sync every two minutes).
func BenchmarkPublish(b *testing.B) {
	for _, bc := range []struct {
		name string
		sync bool
	}{{"sync=always", true}, {"sync=default", false}} {
		b.Run(bc.name, func(b *testing.B) {
			opts := natsserver.NewOptions(b.TempDir())
			opts.SyncAlways = bc.sync
			s := start(b, opts)
			js := connect(b, s)
			ctx := context.Background()
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
				Name: "BENCH", Subjects: []string{"bench.>"}, Storage: jetstream.FileStorage, Replicas: 1,
			}); err != nil {
				b.Fatal(err)
			}
			body := make([]byte, 1024)
			b.SetBytes(int64(len(body)))
			start := time.Now()
			for b.Loop() {
				if _, err := js.Publish(ctx, "bench.x", body); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
