package broker_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/schemas"
)

type fixture struct {
	srv *natsserver.Server
	nc  *nats.Conn
	js  jetstream.JetStream
}

// setup starts an embedded server in a temporary directory and connects.
func setup(t *testing.T) fixture {
	t.Helper()
	srv, err := natsserver.Start(natsserver.NewOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, js, err := broker.Connect(t.Context(), srv.ClientURL(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return fixture{srv: srv, nc: nc, js: js}
}

var dev = broker.StreamConfig{Replicas: 1, MaxAge: 28 * 24 * time.Hour}

func TestDeclareStreamIdempotent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	for i := range 2 {
		s, err := broker.DeclareStream(ctx, f.js, dev)
		if err != nil {
			t.Fatalf("declare %d: %v", i+1, err)
		}
		cfg := s.CachedInfo().Config
		if cfg.Name != "IDV" || cfg.Storage != jetstream.FileStorage || cfg.MaxAge != dev.MaxAge ||
			cfg.Replicas != 1 || cfg.Duplicates < 2*time.Minute ||
			strings.Join(cfg.Subjects, ",") != strings.Join(schemas.StreamSubjects, ",") {
			t.Errorf("declare %d: config %+v", i+1, cfg)
		}
	}
	// A shorter MaxAge updates the stream in place.
	shorter := broker.StreamConfig{Replicas: 1, MaxAge: 7 * 24 * time.Hour}
	s, err := broker.DeclareStream(ctx, f.js, shorter)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != shorter.MaxAge {
		t.Errorf("MaxAge after update = %s, want %s", got, shorter.MaxAge)
	}
}

func TestDeclareStreamRefuses(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for name, cfg := range map[string]broker.StreamConfig{
		"29 days":    {Replicas: 1, MaxAge: 29 * 24 * time.Hour},
		"28 days+1s": {Replicas: 1, MaxAge: 28*24*time.Hour + time.Second},
		"forever":    {Replicas: 1, MaxAge: 0},
		"no replica": {Replicas: 0, MaxAge: time.Hour},
	} {
		_, err := broker.DeclareStream(t.Context(), f.js, cfg)
		if !errors.Is(err, broker.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
	if _, err := f.js.Stream(t.Context(), "IDV"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("a refused declaration created the stream: %v", err)
	}
}

// testStage describes a stage as a stage package would, consuming types.
func testStage(name string, types ...string) idv.Stage {
	return idv.Stage{Name: name, Consumes: types, Retry: idv.Retry{MaxDeliver: 40, Backoff: idv.Backoff{Base: time.Second, Max: time.Minute}},
		Concurrency: 4, AckWait: 30 * time.Second, MaxAckPending: 64}
}

func TestDeclareConsumersIdempotent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	if _, err := broker.Consumer(ctx, f.js, "one"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("Consumer before any declaration: %v, want ErrStreamNotFound", err)
	}
	if _, err := broker.DeclareStream(ctx, f.js, dev); err != nil {
		t.Fatal(err)
	}
	many := testStage("many", schemas.TypeSessionDecided, schemas.TypeSessionDeleted)
	many.MaxDeliver, many.AckWait, many.MaxAckPending = 21, 10*time.Second, 4096
	stages := []idv.Stage{testStage("one", schemas.TypeSessionSubmitted), many}
	for i := range 2 {
		if err := broker.DeclareConsumers(ctx, f.js, stages...); err != nil {
			t.Fatalf("declare %d: %v", i+1, err)
		}
	}
	// One subject goes in FilterSubject (as before multi-filter consumers
	// existed), several in FilterSubjects.
	filters := map[string][2][]string{
		"one":  {{"idv.session.submitted.>"}, nil},
		"many": {nil, {"idv.session.decided.>", "idv.session.deleted.>"}},
	}
	for _, s := range stages {
		c, err := broker.Consumer(ctx, f.js, s.Name)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		cfg := c.CachedInfo().Config
		var single []string
		if cfg.FilterSubject != "" {
			single = []string{cfg.FilterSubject}
		}
		want := filters[s.Name]
		if cfg.Durable != s.Name || !slices.Equal(single, want[0]) || !slices.Equal(cfg.FilterSubjects, want[1]) ||
			cfg.AckPolicy != jetstream.AckExplicitPolicy || cfg.MaxDeliver != s.MaxDeliver || cfg.AckWait != s.AckWait ||
			cfg.MaxAckPending != s.MaxAckPending || len(cfg.BackOff) != 0 {
			t.Errorf("%s: config %+v, stage %+v", s.Name, cfg, s)
		}
	}
	stream, err := f.js.Stream(ctx, "IDV")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != len(stages) {
		t.Errorf("%d consumers after declaring twice, want %d", info.State.Consumers, len(stages))
	}
	if _, err := broker.Consumer(ctx, f.js, "nosuchstage"); !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Errorf("Consumer(nosuchstage): %v, want ErrConsumerNotFound", err)
	}
	bad := testStage("x", schemas.TypeSessionSubmitted)
	bad.MaxDeliver = 0
	if err := broker.DeclareConsumers(ctx, f.js, testStage("y", schemas.TypeSessionExpired), bad); !errors.Is(err, broker.ErrConfig) {
		t.Errorf("unbounded MaxDeliver: %v, want ErrConfig", err)
	}
	if _, err := broker.Consumer(ctx, f.js, "y"); !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Errorf("a refused declaration declared the stage before it: %v", err)
	}
}

func TestPublishDeduplicates(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	s, err := broker.DeclareStream(ctx, f.js, dev)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	m := idv.Message{
		Subject: schemas.Subject(schemas.TypeSessionSubmitted, "s1"),
		Type:    schemas.TypeSessionSubmitted,
		MsgID:   schemas.MsgID(schemas.TypeSessionSubmitted, "s1"),
		Time:    at,
		Body:    []byte(`{"session_id":"s1"}`),
	}
	p := broker.NewPublisher(f.js)
	for i := range 2 {
		if err := p.Publish(ctx, m); err != nil {
			t.Fatalf("publish %d: %v", i+1, err)
		}
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages after publishing one event twice, want 1", info.State.Msgs)
	}
	got, err := s.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for h, v := range map[string]string{
		"Nats-Msg-Id":    m.MsgID,
		"ce-specversion": "1.0",
		"ce-type":        m.Type,
		"ce-id":          m.MsgID,
		"ce-time":        "2026-03-01T12:00:00.123456789Z",
		"ce-source":      "idv",
	} {
		if g := got.Header.Get(h); g != v {
			t.Errorf("header %s = %q, want %q", h, g, v)
		}
	}
	if got.Subject != m.Subject || string(got.Data) != string(m.Body) {
		t.Errorf("stored %s %s", got.Subject, got.Data)
	}

	// Another event about the same session is a different message.
	m2 := m
	m2.Type = schemas.TypeSessionDecided
	m2.Subject = schemas.Subject(m2.Type, "s1")
	m2.MsgID = schemas.MsgID(m2.Type, "s1")
	if err := p.Publish(ctx, m2); err != nil {
		t.Fatal(err)
	}
	if info, _ := s.Info(ctx); info.State.Msgs != 2 {
		t.Errorf("stream holds %d messages, want 2", info.State.Msgs)
	}
}

func TestPublishRefuses(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	if _, err := broker.DeclareStream(ctx, f.js, dev); err != nil {
		t.Fatal(err)
	}
	p := broker.NewPublisher(f.js)
	ok := idv.Message{Subject: "idv.session.submitted.s1", Type: "idv.session.submitted", MsgID: "idv.session.submitted:s1"}
	for name, mod := range map[string]func(*idv.Message){
		"no msg id":        func(m *idv.Message) { m.MsgID = "" },
		"no type":          func(m *idv.Message) { m.Type = "" },
		"type mismatch":    func(m *idv.Message) { m.Type = "idv.session.decided" },
		"no id in subject": func(m *idv.Message) { m.Subject = "idv.session.submitted." },
	} {
		m := ok
		mod(&m)
		if err := p.Publish(ctx, m); !errors.Is(err, broker.ErrMessage) {
			t.Errorf("%s: %v, want ErrMessage", name, err)
		}
	}
	// A subject outside the stream: no stream answers.
	out := idv.Message{Subject: "other.x.y.z", Type: "other.x.y", MsgID: "m"}
	if err := p.Publish(ctx, out); err == nil {
		t.Error("publish outside stream IDV: want error")
	}
}

// The connection survives a broker restart: publishing works again without
// a new Connect.
func TestConnectReconnects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := natsserver.NewOptions(dir)
	srv, err := natsserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	nc, js, err := broker.Connect(ctx, srv.ClientURL(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := broker.DeclareStream(ctx, js, dev); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.ClientURL())
	srv.Shutdown()

	opts.Port, _ = strconv.Atoi(u.Port())
	srv2, err := natsserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv2.Shutdown)

	p := broker.NewPublisher(js)
	m := idv.Message{Subject: "idv.session.submitted.s1", Type: "idv.session.submitted", MsgID: "idv.session.submitted:s1"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := p.Publish(pctx, m)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no publish after restart: %v", err)
		}
	}
	if nc.Stats().Reconnects == 0 {
		t.Error("no reconnect counted")
	}
}

func TestConnectNoServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	// A port nothing listens on: a started and stopped server's.
	srv, err := natsserver.Start(natsserver.NewOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	where := srv.ClientURL()
	srv.Shutdown()
	withUser := strings.Replace(where, "nats://", "nats://user:secret@", 1)
	_, _, err = broker.Connect(ctx, withUser, t.Name())
	if err == nil {
		t.Fatal("Connect with no server: want error")
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), where) || strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q: want the redacted URL and the deadline", err)
	}
	t.Log(err)
}
