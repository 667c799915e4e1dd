package versitygw

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"maps"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/objects"
)

// TestTLS holds objects.Config.CAFile (IDV_S3_CA, docs/operating.md) to a
// real S3 store over HTTPS: this gateway started WithTLS, presenting a
// certificate for 127.0.0.1 from a CA of the test's own. With that CA in
// CAFile every operation IDV makes on the store works, the app's upload
// through a pre-signed POST included; the system's CAs, another CA bearing
// the same name, and a host name the certificate does not carry are
// refused; a bundle with an http:// endpoint, or one holding no
// certificate, is refused before any request.
func TestTLS(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	const caName = "IDV test store CA"
	ca := newTestCA(t, caName)
	certPEM, keyPEM := ca.issue(t, net.IPv4(127, 0, 0, 1))

	g, err := Start(ctx, filepath.Join(dir, "objects"), WithTLS(certPEM, keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !strings.HasPrefix(g.Endpoint, "https://127.0.0.1:") {
		t.Fatalf("endpoint %s, want https://127.0.0.1:PORT", g.Endpoint)
	}
	// The port speaks only TLS: a plain request gets no answer at all.
	if resp, err := http.Get("http://" + strings.TrimPrefix(g.Endpoint, "https://") + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("plain HTTP to the TLS port answered HTTP %d, want the connection closed", resp.StatusCode)
	}

	cfg := g.ObjectsConfig("idv-tls")
	cfg.CAFile = writeTestFile(t, dir, "ca.pem", ca.pem)
	store, err := objects.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureBucket(ctx); err != nil {
		t.Fatalf("EnsureBucket with the store's CA: %v", err)
	}
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("Ping with the store's CA: %v", err)
	}

	// Over https minio-go signs a Put's body as UNSIGNED-PAYLOAD, not in
	// aws-chunked form as over http (see Store.Put), so both a body and an
	// empty one go through here.
	document, empty := []byte("sealed document bytes"), []byte{}
	for key, body := range map[string][]byte{"sessions/s1/document-0": document, "sessions/s1/empty": empty} {
		if err := store.Put(ctx, key, body); err != nil {
			t.Fatalf("Put %s: %v", key, err)
		}
	}

	// The app's upload: a pre-signed POST to an https URL on the gateway,
	// from a client that trusts the CA (and nothing else).
	selfie := bytes.Repeat([]byte("sealed selfie "), 1000)
	policy, err := store.PresignPost(ctx, "sessions/s1/selfie-0", 1, 1<<20, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(policy.URL, g.Endpoint+"/") {
		t.Fatalf("policy URL %s, want one on %s", policy.URL, g.Endpoint)
	}
	if status, err := postUpload(t, trusting(ca.pem), policy, selfie); err != nil || status != http.StatusNoContent {
		t.Fatalf("POST upload over HTTPS: HTTP %d, %v; want 204", status, err)
	}
	if _, err := postUpload(t, trusting(newTestCA(t, caName).pem), policy, selfie); !isUnknownAuthority(err) {
		t.Errorf("POST upload from a client trusting another CA: %v, want an unknown-authority error", err)
	}

	for key, want := range map[string][]byte{"sessions/s1/document-0": document, "sessions/s1/empty": empty, "sessions/s1/selfie-0": selfie} {
		if info, err := store.Stat(ctx, key); err != nil || info.Size != int64(len(want)) {
			t.Errorf("Stat %s = %+v, %v; want %d bytes", key, info, err, len(want))
		}
		if got, err := store.Get(ctx, key, 1<<20); err != nil || !bytes.Equal(got, want) {
			t.Errorf("Get %s = %d bytes, %v; want the %d bytes stored", key, len(got), err, len(want))
		}
	}
	if n, err := store.DeletePrefix(ctx, "sessions/s1/"); err != nil || n != 3 {
		t.Errorf("DeletePrefix = %d, %v; want 3", n, err)
	}
	if _, err := store.Stat(ctx, "sessions/s1/selfie-0"); !errors.Is(err, objects.ErrNotFound) {
		t.Errorf("Stat after DeletePrefix: %v, want ErrNotFound", err)
	}

	// Refused: the store's certificate checked against the system's CAs,
	// against another CA with the same name (trust is in the key, not the
	// name), or by a name it does not carry (CAFile does not switch off the
	// host name check). minio-go retries these refusals for seconds before
	// it gives up (its retry.go looks for x509.UnknownAuthorityError one
	// wrapping too high), so the cases run side by side, whatever -parallel.
	anotherCA := writeTestFile(t, dir, "other-ca.pem", newTestCA(t, caName).pem)
	byName := strings.Replace(g.Endpoint, "127.0.0.1", "localhost", 1)
	var refusals sync.WaitGroup
	for _, tc := range []struct {
		name             string
		endpoint, caFile string
		want             func(error) bool
	}{
		{"the system's CAs", g.Endpoint, "", isUnknownAuthority},
		{"another CA", g.Endpoint, anotherCA, isUnknownAuthority},
		{"a name not in the certificate", byName, cfg.CAFile, isHostnameError},
	} {
		c := cfg
		c.Endpoint, c.CAFile = tc.endpoint, tc.caFile
		s, err := objects.New(c)
		if err != nil {
			t.Fatalf("%s: New: %v", tc.name, err)
		}
		refusals.Go(func() {
			if err := s.Ping(ctx); !tc.want(err) {
				t.Errorf("%s: Ping: %v, want the certificate refused", tc.name, err)
			}
		})
		refusals.Go(func() {
			if err := s.Put(ctx, "sessions/s2/document-0", document); !tc.want(err) {
				t.Errorf("%s: Put: %v, want the certificate refused", tc.name, err)
			}
		})
	}
	refusals.Wait()
	if _, err := store.Stat(ctx, "sessions/s2/document-0"); !errors.Is(err, objects.ErrNotFound) {
		t.Errorf("Stat of the refused Put: %v, want ErrNotFound", err)
	}

	// Refused at configuration time, before any request.
	plain := cfg
	plain.Endpoint = "http://" + strings.TrimPrefix(g.Endpoint, "https://")
	if _, err := objects.New(plain); err == nil || !strings.Contains(err.Error(), "needs an https endpoint") {
		t.Errorf("CAFile with %s: %v, want needs an https endpoint", plain.Endpoint, err)
	}
	junk := cfg
	junk.CAFile = writeTestFile(t, dir, "junk.pem", []byte("not a certificate"))
	if _, err := objects.New(junk); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("CAFile without a certificate: %v, want holds no PEM certificate", err)
	}

	if err := g.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// Start refuses a certificate with a key that is not its own, before it
// serves anything, and frees the process's gateway slot again.
func TestStartWithTLSRefusesAMismatchedKey(t *testing.T) {
	ca := newTestCA(t, "IDV test store CA")
	certPEM, _ := ca.issue(t, net.IPv4(127, 0, 0, 1))
	_, otherKey := ca.issue(t, net.IPv4(127, 0, 0, 1))
	g, err := Start(t.Context(), filepath.Join(t.TempDir(), "objects"), WithTLS(certPEM, otherKey))
	if err == nil {
		g.Close()
		t.Fatal("Start accepted a certificate with another certificate's key")
	}
	if !strings.Contains(err.Error(), "TLS certificate") {
		t.Errorf("error %q does not name the TLS certificate", err)
	}
	// The slot is free again: a gateway without TLS starts.
	g, err = Start(t.Context(), filepath.Join(t.TempDir(), "objects"))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// testCA is a CA made for one test; its key never leaves memory.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) testCA {
	t.Helper()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(t), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a server certificate for ip signed by ca, and its key, PEM.
func (ca testCA) issue(t *testing.T, ip net.IP) (certPEM, keyPEM []byte) {
	t.Helper()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(t), Subject: pkix.Name{CommonName: "IDV test store"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{ip},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
}

func newTestKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newSerial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func writeTestFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// trusting is an HTTP client that trusts only the CAs in caPEM.
func trusting(caPEM []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// isUnknownAuthority reports whether err is the TLS refusal of a
// certificate that no trusted CA signed.
func isUnknownAuthority(err error) bool {
	var unknown x509.UnknownAuthorityError
	return errors.As(err, &unknown)
}

func isHostnameError(err error) bool {
	var wrongHost x509.HostnameError
	return errors.As(err, &wrongHost)
}

// postUpload uploads body as the app does: a multipart/form-data POST with
// every policy field, then the file, and no credentials of its own.
func postUpload(t *testing.T, client *http.Client, p idv.PostPolicy, body []byte) (int, error) {
	t.Helper()
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for _, k := range slices.Sorted(maps.Keys(p.Fields)) {
		if err := mw.WriteField(k, p.Fields[k]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "capture.sealed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.URL, &form)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
