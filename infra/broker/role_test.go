package broker_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/schemas"
)

// The permissions are derived from the stages' descriptions: each stage's
// own consumer and nothing else; the relay the stream's subjects; the
// operator the JetStream API. Each role listens on its own inboxes only.
func TestRoles(t *testing.T) {
	t.Parallel()
	roles, err := broker.Roles(testStage("doccheck", schemas.TypeSessionSubmitted),
		testStage("notify", schemas.TypeSessionDecided, schemas.TypeSessionDeleted))
	if err != nil {
		t.Fatal(err)
	}
	want := []broker.Role{
		{Name: "operator", Publish: []string{"$JS.API.>"}, Subscribe: []string{"_INBOX_IDV.operator.>"}},
		{Name: "relay", Publish: []string{"$JS.API.INFO", "idv.>"}, Subscribe: []string{"_INBOX_IDV.relay.>"}},
		{Name: "doccheck", Publish: []string{"$JS.API.INFO", "$JS.API.CONSUMER.INFO.IDV.doccheck",
			"$JS.API.CONSUMER.MSG.NEXT.IDV.doccheck", "$JS.ACK.IDV.doccheck.>", "$JS.ACK.*.*.IDV.doccheck.>"},
			Subscribe: []string{"_INBOX_IDV.doccheck.>"}},
		{Name: "notify", Publish: []string{"$JS.API.INFO", "$JS.API.CONSUMER.INFO.IDV.notify",
			"$JS.API.CONSUMER.MSG.NEXT.IDV.notify", "$JS.ACK.IDV.notify.>", "$JS.ACK.*.*.IDV.notify.>"},
			Subscribe: []string{"_INBOX_IDV.notify.>"}},
	}
	if len(roles) != len(want) {
		t.Fatalf("roles %v, want %v", broker.RoleNames(roles), broker.RoleNames(want))
	}
	for i, r := range roles {
		w := want[i]
		if r.Name != w.Name || !slices.Equal(r.Publish, w.Publish) || !slices.Equal(r.Subscribe, w.Subscribe) {
			t.Errorf("role %d:\n got %+v\nwant %+v", i, r, w)
		}
		// No one but the relay may publish on the stream's subjects.
		if r.Name != broker.RoleRelay && slices.ContainsFunc(r.Publish, func(s string) bool { return strings.HasPrefix(s, "idv.") || s == ">" }) {
			t.Errorf("%s may publish events: %v", r.Name, r.Publish)
		}
	}

	for name, stages := range map[string][]idv.Stage{
		"a stage called relay":    {testStage("relay", schemas.TypeSessionSubmitted)},
		"a stage called operator": {testStage("operator", schemas.TypeSessionSubmitted)},
		"two stages of one name":  {testStage("x", schemas.TypeSessionSubmitted), testStage("x", schemas.TypeSessionDecided)},
		"a dot in the name":       {testStage("doc.check", schemas.TypeSessionSubmitted)},
		"a wildcard in the name":  {testStage("doc*", schemas.TypeSessionSubmitted)},
		"an empty name":           {testStage("", schemas.TypeSessionSubmitted)},
	} {
		if _, err := broker.Roles(stages...); !errors.Is(err, broker.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

func TestEnsureKeysKeepsExistingSeeds(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	roles, err := broker.Roles(testStage("doccheck", schemas.TypeSessionSubmitted))
	if err != nil {
		t.Fatal(err)
	}
	first, err := broker.EnsureKeys(dir, roles[:2])
	if err != nil {
		t.Fatal(err)
	}
	seed, err := os.ReadFile(broker.KeyFile(dir, "relay"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(broker.KeyFile(dir, "relay")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("relay seed file: %v %v, want mode 0600", fi.Mode(), err)
	}
	second, err := broker.EnsureKeys(dir, roles)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(broker.KeyFile(dir, "relay"))
	if first["relay"] != second["relay"] || first["operator"] != second["operator"] || string(seed) != string(again) {
		t.Error("a second run replaced existing seeds")
	}
	if second["doccheck"] == "" || second["doccheck"] == second["relay"] {
		t.Errorf("keys %v: want a new, distinct key for the added stage", second)
	}
	if _, err := broker.UsersConfig(roles, first); !errors.Is(err, broker.ErrConfig) {
		t.Errorf("users config without the doccheck key: %v, want ErrConfig", err)
	}
	if err := os.WriteFile(broker.KeyFile(dir, "doccheck"), []byte("not a seed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := broker.EnsureKeys(dir, roles); err == nil {
		t.Error("a damaged seed file was accepted")
	}
	if _, err := (broker.Access{KeyDir: dir}).Options("wipe"); err == nil {
		t.Error("options of a role without a key file: want an error")
	}
}

// secured is a secure embedded server with stream IDV and the consumers
// of doccheck and decision declared by the operator.
type secured struct {
	srv    *natsserver.Server
	access broker.Access
	stages []idv.Stage
}

func setupSecure(t *testing.T) secured { return setupSecureVerifying(t, false) }

// setupSecureVerifying is setupSecure with Secure.VerifyClients as given:
// the server then also requires a client certificate from its CA.
func setupSecureVerifying(t *testing.T, verifyClients bool) secured {
	t.Helper()
	stages := []idv.Stage{testStage("doccheck", schemas.TypeSessionSubmitted), testStage("decision", schemas.TypeCheckCompleted)}
	roles, err := broker.Roles(stages...)
	if err != nil {
		t.Fatal(err)
	}
	opts := natsserver.NewOptions(t.TempDir())
	opts.Secure = &natsserver.Secure{Roles: roles, Dir: filepath.Join(t.TempDir(), "access"), VerifyClients: verifyClients}
	srv, err := natsserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	if !strings.HasPrefix(srv.ClientURL(), "tls://127.0.0.1:") {
		t.Fatalf("client URL %s, want TLS on loopback", srv.ClientURL())
	}
	s := secured{srv: srv, access: srv.Access(), stages: stages}
	op := s.connect(t, broker.RoleOperator)
	if _, err := broker.DeclareStream(t.Context(), op.js, dev); err != nil {
		t.Fatalf("the operator declares the stream: %v", err)
	}
	if err := broker.DeclareConsumers(t.Context(), op.js, stages...); err != nil {
		t.Fatalf("the operator declares the consumers: %v", err)
	}
	return s
}

// client is a connection as one role; errs receives what the server
// reports asynchronously, permissions violations among them.
type client struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func (s secured) connect(t *testing.T, role string) client {
	t.Helper()
	opts, err := s.access.Options(role)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 16)
	opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case errs <- err:
		default:
		}
	}))
	nc, js, err := broker.Connect(t.Context(), s.srv.ClientURL(), t.Name()+"-"+role, opts...)
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	t.Cleanup(nc.Close)
	return client{nc: nc, js: js, errs: errs}
}

// violation reports whether err is the server refusing subject (or a
// subject it begins: a consumer create names the filter after the name).
func violation(err error, subject string) bool {
	return errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+subject)
}

// refused runs do on a new connection as role and fails the test unless
// the server refuses it with a permissions violation naming subject. do
// may block (a request nobody answers): it is cancelled once the refusal
// arrives. When do returns first, a round trip to the server makes sure
// any refusal of what it sent has been read.
func (s secured) refused(t *testing.T, role, subject string, do func(ctx context.Context, c client) error) {
	t.Helper()
	c := s.connect(t, role)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- do(ctx, c) }()
	for {
		select {
		case err := <-c.errs:
			if violation(err, subject) {
				cancel()
				<-done
				return
			}
		case err := <-done:
			if ferr := c.nc.Flush(); ferr != nil {
				t.Fatalf("%s on %s: flush: %v", role, subject, ferr)
			}
			if last := c.nc.LastError(); !violation(last, subject) {
				t.Errorf("%s on %s: not refused (do: %v, last error: %v)", role, subject, err, last)
			}
			return
		}
	}
}

// What each role may do on a server that enforces broker.Roles, and above
// all what a stage's credentials may not: publish a decision.
func TestRolesEnforced(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	ctx := t.Context()
	op := s.connect(t, broker.RoleOperator)
	stream, err := op.js.Stream(ctx, broker.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	session := uuid.NewString()
	event := func(eventType string) idv.Message {
		return idv.Message{Subject: schemas.Subject(eventType, session), Type: eventType,
			MsgID: schemas.MsgID(eventType, session), Time: time.Now(), Body: []byte(`{"session_id":"` + session + `"}`)}
	}

	// The relay publishes; the doccheck stage takes its event and acks it.
	relay := s.connect(t, broker.RoleRelay)
	pub := broker.NewPublisher(relay.js)
	if err := pub.Publish(ctx, event(schemas.TypeSessionSubmitted)); err != nil {
		t.Fatalf("the relay publishes: %v", err)
	}
	if err := pub.Publish(ctx, event(schemas.TypeCheckCompleted)); err != nil {
		t.Fatalf("the relay publishes: %v", err)
	}
	doccheck := s.connect(t, "doccheck")
	cons, err := broker.Consumer(ctx, doccheck.js, "doccheck")
	if err != nil {
		t.Fatalf("doccheck binds its consumer: %v", err)
	}
	batch, err := cons.Fetch(1)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range batch.Messages() {
		n++
		if m.Subject() != schemas.Subject(schemas.TypeSessionSubmitted, session) {
			t.Errorf("doccheck got %s", m.Subject())
		}
		if err := m.DoubleAck(ctx); err != nil {
			t.Errorf("doccheck acks: %v", err)
		}
	}
	if n != 1 || batch.Error() != nil {
		t.Fatalf("doccheck fetched %d messages (%v), want its one", n, batch.Error())
	}

	// The decision stage pulls the completed check and leaves it unacked:
	// its ack subject is what another stage will try to settle.
	decision := s.connect(t, "decision")
	dcons, err := broker.Consumer(ctx, decision.js, "decision")
	if err != nil {
		t.Fatal(err)
	}
	dbatch, err := dcons.Fetch(1)
	if err != nil {
		t.Fatal(err)
	}
	var ackSubject string
	for m := range dbatch.Messages() {
		ackSubject = m.Reply()
	}
	if !strings.HasPrefix(ackSubject, "$JS.ACK.IDV.decision.") {
		t.Fatalf("decision's delivery has ack subject %q", ackSubject)
	}

	decided := schemas.Subject(schemas.TypeSessionDecided, session)
	forged := event(schemas.TypeSessionDecided)
	refusals := 0
	for _, c := range []struct {
		name, role, subject string
		do                  func(ctx context.Context, c client) error
	}{
		{"a stage publishes a forged decision", "doccheck", decided, func(_ context.Context, c client) error {
			return c.nc.Publish(decided, []byte(`{"session_id":"`+session+`","decision":"approved"}`))
		}},
		{"a stage publishes a forged decision to JetStream", "doccheck", decided, func(ctx context.Context, c client) error {
			return broker.NewPublisher(c.js).Publish(ctx, forged)
		}},
		{"the decision stage publishes its own kind of event", "decision", decided, func(ctx context.Context, c client) error {
			return broker.NewPublisher(c.js).Publish(ctx, forged)
		}},
		{"the operator publishes an event", broker.RoleOperator, decided, func(ctx context.Context, c client) error {
			return broker.NewPublisher(c.js).Publish(ctx, forged)
		}},
		{"a stage reads another's consumer", "doccheck", "$JS.API.CONSUMER.INFO.IDV.decision", func(ctx context.Context, c client) error {
			_, err := c.js.Consumer(ctx, broker.StreamName, "decision")
			return err
		}},
		{"a stage pulls from another's consumer", "doccheck", "$JS.API.CONSUMER.MSG.NEXT.IDV.decision", func(ctx context.Context, c client) error {
			_, err := c.nc.RequestWithContext(ctx, "$JS.API.CONSUMER.MSG.NEXT.IDV.decision", []byte(`{"batch":1,"no_wait":true}`))
			return err
		}},
		{"a stage settles another's message", "doccheck", ackSubject, func(_ context.Context, c client) error {
			return c.nc.Publish(ackSubject, []byte("+ACK"))
		}},
		{"a stage declares a consumer", "doccheck", "$JS.API.CONSUMER.CREATE.IDV.doccheck2", func(ctx context.Context, c client) error {
			return broker.DeclareConsumers(ctx, c.js, testStage("doccheck2", schemas.TypeSessionSubmitted))
		}},
		{"a stage changes the stream", "doccheck", "$JS.API.STREAM.UPDATE.IDV", func(ctx context.Context, c client) error {
			_, err := c.js.UpdateStream(ctx, jetstream.StreamConfig{Name: "IDV", Subjects: schemas.StreamSubjects})
			return err
		}},
		{"a stage deletes its consumer", "doccheck", "$JS.API.CONSUMER.DELETE.IDV.doccheck", func(ctx context.Context, c client) error {
			return c.js.DeleteConsumer(ctx, broker.StreamName, "doccheck")
		}},
		{"a stage listens on the stream's subjects", "doccheck", "idv.>", func(_ context.Context, c client) error {
			_, err := c.nc.SubscribeSync("idv.>")
			return err
		}},
		{"a stage listens on another's inboxes", "doccheck", "_INBOX_IDV.decision.>", func(_ context.Context, c client) error {
			_, err := c.nc.SubscribeSync("_INBOX_IDV.decision.>")
			return err
		}},
		{"a stage listens on the default inboxes", "doccheck", "_INBOX.>", func(_ context.Context, c client) error {
			_, err := c.nc.SubscribeSync("_INBOX.>")
			return err
		}},
		{"the relay declares a consumer", broker.RoleRelay, "$JS.API.CONSUMER.CREATE.IDV.x", func(ctx context.Context, c client) error {
			return broker.DeclareConsumers(ctx, c.js, testStage("x", schemas.TypeSessionSubmitted))
		}},
		{"the relay reads a consumer", broker.RoleRelay, "$JS.API.CONSUMER.INFO.IDV.doccheck", func(ctx context.Context, c client) error {
			_, err := c.js.Consumer(ctx, broker.StreamName, "doccheck")
			return err
		}},
		{"the relay publishes outside the stream", broker.RoleRelay, "other.subject", func(_ context.Context, c client) error {
			return c.nc.Publish("other.subject", nil)
		}},
	} {
		t.Run(c.name, func(t *testing.T) { s.refused(t, c.role, c.subject, c.do) })
		refusals++
	}

	// Nothing forged reached the stream, and decision's message is still
	// out with it, unsettled.
	if _, err := stream.GetLastMsgForSubject(ctx, decided); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("stream IDV holds %s: %v", decided, err)
	}
	t.Logf("%d things a role may not do tried (forged decisions among them), each refused by the server; nothing forged in the stream", refusals)
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Errorf("stream IDV holds %d messages, want the relay's 2", info.State.Msgs)
	}
	ci, err := op.js.Consumer(ctx, broker.StreamName, "decision")
	if err != nil {
		t.Fatal(err)
	}
	if got := ci.CachedInfo(); got.NumAckPending != 1 || got.AckFloor.Consumer != 0 {
		t.Errorf("decision's consumer: %d ack pending, ack floor %d; want its message still out", got.NumAckPending, got.AckFloor.Consumer)
	}
	// Every stage still has its consumer.
	for _, st := range s.stages {
		if _, err := broker.Consumer(ctx, op.js, st.Name); err != nil {
			t.Errorf("after the refusals: %v", err)
		}
	}
}

// The server admits only its roles' keys, and only over TLS.
func TestSecureServerRefusesStrangers(t *testing.T) {
	t.Parallel()
	s := setupSecure(t)
	tlsOnly, err := (broker.Access{CAFile: s.access.CAFile}).Options("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nats.Connect(s.srv.ClientURL(), tlsOnly...); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("connect over TLS without a key: %v, want an authorization violation", err)
	}
	// The options are TLS (the CA) first, then the key and inbox prefix.
	relay, err := s.access.Options(broker.RoleRelay)
	if err != nil {
		t.Fatal(err)
	}
	// A client speaking plain text gets nowhere: the server announces
	// that TLS is required and drops the connection rather than answer.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.srv.ClientURL(), "tls://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	info, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(info, "INFO ") || !strings.Contains(info, `"tls_required":true`) {
		t.Fatalf("the server's greeting %q (%v): want INFO with tls_required", info, err)
	}
	if _, err := conn.Write([]byte("CONNECT {\"verbose\":true}\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(r); strings.Contains(string(rest), "PONG") || strings.Contains(string(rest), "+OK") {
		t.Errorf("the server answered a plain-text client: %q", rest)
	}
	// Keys of another server's run are not admitted.
	other := setupSecure(t)
	foreign, err := other.access.Options(broker.RoleRelay)
	if err != nil {
		t.Fatal(err)
	}
	foreign[0] = nats.RootCAs(s.access.CAFile)
	if _, err := nats.Connect(s.srv.ClientURL(), foreign...); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("connect with another run's relay key: %v, want an authorization violation", err)
	}
	// A client trusting another CA refuses the server.
	if _, err := nats.Connect(s.srv.ClientURL(), append([]nats.Option{nats.RootCAs(other.access.CAFile)}, relay[1:]...)...); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("connect trusting another CA: %v, want a certificate error", err)
	}
}
