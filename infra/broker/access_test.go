package broker_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/schemas"
)

// refusedHandshake fails t unless connecting with access as role is
// refused by the server in the TLS handshake, before the nkey is asked
// for. With TLS 1.3 the client finishes its side of the handshake before
// the server has checked its certificate, so the refusal reaches it either
// as the server's alert or, when its CONNECT is written first, as the
// connection closed right after the handshake (nats.ErrTLS).
func refusedHandshake(t *testing.T, url string, access broker.Access, role, what string) {
	t.Helper()
	opts, err := access.Options(role)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, opts...)
	if err == nil {
		nc.Close()
		t.Errorf("%s: connected, want refused at the TLS handshake", what)
		return
	}
	if errors.Is(err, nats.ErrAuthorization) || !(errors.Is(err, nats.ErrTLS) || strings.Contains(err.Error(), "remote error: tls: ")) {
		t.Errorf("%s: %v, want the server to refuse the TLS handshake", what, err)
	}
}

// A server that verifies its clients admits a role that has both its nkey
// and a client certificate from the server's CA, with the role's
// permissions as before; the certificate without a key is refused as
// without mutual TLS, and the key without the certificate, or with one from
// another CA, is refused at the TLS handshake.
func TestClientCertificate(t *testing.T) {
	t.Parallel()
	s := setupSecureVerifying(t, true) // the operator has declared, with key and certificate
	if s.access.CertFile == "" || s.access.KeyFile == "" {
		t.Fatalf("access %+v: want the client certificate and key", s.access)
	}
	ctx := t.Context()

	// Key and certificate: the relay publishes, doccheck takes the event.
	session := uuid.NewString()
	relay := s.connect(t, broker.RoleRelay)
	if err := broker.NewPublisher(relay.js).Publish(ctx, idv.Message{Subject: schemas.Subject(schemas.TypeSessionSubmitted, session),
		Type: schemas.TypeSessionSubmitted, MsgID: schemas.MsgID(schemas.TypeSessionSubmitted, session), Time: time.Now(),
		Body: []byte(`{"session_id":"` + session + `"}`)}); err != nil {
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
		if err := m.DoubleAck(ctx); err != nil {
			t.Errorf("doccheck acks: %v", err)
		}
	}
	if n != 1 || batch.Error() != nil {
		t.Fatalf("doccheck fetched %d messages (%v), want the relay's one", n, batch.Error())
	}
	// The certificate adds no permission: a stage still cannot publish.
	decided := schemas.Subject(schemas.TypeSessionDecided, session)
	s.refused(t, "doccheck", decided, func(_ context.Context, c client) error {
		return c.nc.Publish(decided, []byte(`{"decision":"approved"}`))
	})

	// The certificate without a key: TLS lets it through, the server
	// refuses it as before.
	certOnly := broker.Access{CAFile: s.access.CAFile, CertFile: s.access.CertFile, KeyFile: s.access.KeyFile}
	opts, err := certOnly.Options("")
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(s.srv.ClientURL(), opts...); !errors.Is(err, nats.ErrAuthorization) {
		if err == nil {
			nc.Close()
		}
		t.Errorf("connect with the client certificate and no key: %v, want an authorization violation", err)
	}

	// The relay's key without a certificate.
	noCert := broker.Access{KeyDir: s.access.KeyDir, CAFile: s.access.CAFile}
	refusedHandshake(t, s.srv.ClientURL(), noCert, broker.RoleRelay, "the relay's key without a client certificate")

	// The relay's key with a client certificate of another CA.
	other, err := natsserver.NewCertificates("127.0.0.1") // serverAuth and clientAuth
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	foreign := noCert
	foreign.CertFile, foreign.KeyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	if err := os.WriteFile(foreign.CertFile, other.Cert, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(foreign.KeyFile, other.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	refusedHandshake(t, s.srv.ClientURL(), foreign, broker.RoleRelay, "the relay's key with another CA's client certificate")
}

// A client certificate without its key, or a key without its
// certificate, is a configuration error; so is a key that is not the
// certificate's.
func TestClientCertificateNeedsItsKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	one, err := natsserver.NewCertificates("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	two, err := natsserver.NewCertificates("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"cert.pem": one.Cert, "key.pem": one.Key, "other-key.pem": two.Key}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, key, otherKey := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "other-key.pem")
	for _, c := range []struct {
		name   string
		access broker.Access
		config bool // want ErrConfig
	}{
		{"certificate without key", broker.Access{CertFile: cert}, true},
		{"key without certificate", broker.Access{KeyFile: key}, true},
		{"certificate without key, with an nkey directory", broker.Access{KeyDir: dir, CertFile: cert}, true},
		{"another certificate's key", broker.Access{CertFile: cert, KeyFile: otherKey}, false},
		{"a missing certificate file", broker.Access{CertFile: filepath.Join(dir, "missing.pem"), KeyFile: key}, false},
	} {
		_, err := c.access.Options(broker.RoleRelay)
		if err == nil || errors.Is(err, broker.ErrConfig) != c.config {
			t.Errorf("%s: %v, want an error (ErrConfig %v)", c.name, err, c.config)
		}
	}
	// Both, matching: one option more than without, and no error.
	with, err := (broker.Access{CertFile: cert, KeyFile: key}).Options("")
	if err != nil || len(with) != 1 {
		t.Errorf("certificate and key: %d options, %v; want the client certificate's", len(with), err)
	}
}
