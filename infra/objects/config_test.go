package objects_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/objects"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	good := objects.Config{
		Endpoint:  "http://127.0.0.1:9000",
		Region:    "us-east-1",
		AccessKey: "access",
		SecretKey: "secret",
		Bucket:    "idv-captures",
	}
	tests := []struct {
		name string
		edit func(*objects.Config)
		want []string // fragments of the error; none means valid
	}{
		{name: "local", edit: func(*objects.Config) {}},
		{name: "aws", edit: func(c *objects.Config) {
			c.Endpoint, c.Region = "https://s3.eu-west-1.amazonaws.com", "eu-west-1"
		}},
		{name: "trailing slash", edit: func(c *objects.Config) { c.Endpoint += "/" }},
		{name: "no endpoint", edit: func(c *objects.Config) { c.Endpoint = "" }, want: []string{"endpoint is empty"}},
		{name: "host only", edit: func(c *objects.Config) { c.Endpoint = "127.0.0.1:9000" }, want: []string{"scheme must be http or https"}},
		{name: "ftp", edit: func(c *objects.Config) { c.Endpoint = "ftp://store" }, want: []string{"scheme must be http or https"}},
		{name: "path", edit: func(c *objects.Config) { c.Endpoint = "http://store:9000/idv-captures" }, want: []string{"must not have a path"}},
		{name: "user info", edit: func(c *objects.Config) { c.Endpoint = "http://a:b@store:9000" }, want: []string{"not the URL"}},
		{name: "no region", edit: func(c *objects.Config) { c.Region = " " }, want: []string{"region is empty"}},
		{name: "bad bucket", edit: func(c *objects.Config) { c.Bucket = "IDV_Captures" }, want: []string{`bucket "IDV_Captures"`}},
		{name: "everything missing", edit: func(c *objects.Config) { *c = objects.Config{} },
			want: []string{"endpoint is empty", "region is empty", "access key is empty", "secret key is empty", `bucket ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tt.edit(&cfg)
			_, err := objects.New(cfg)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New accepted %+v", cfg)
			}
			for _, w := range append(tt.want, "objects: invalid config") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCAFileTrustsOnlyItsStore(t *testing.T) {
	t.Parallel()
	// A TLS endpoint with its own certificate that answers HEAD bucket.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := objects.Config{Endpoint: srv.URL, Region: "us-east-1", AccessKey: "k", SecretKey: "s", Bucket: "idv-captures"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	withCA := cfg
	withCA.CAFile = ca
	s, err := objects.New(withCA)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("with the store's CA: %v", err)
	}
	s, err = objects.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA, the store's certificate must be refused: %v", err)
	}
	plain := withCA
	plain.Endpoint = "http://127.0.0.1:9000"
	if _, err := objects.New(plain); err == nil || !strings.Contains(err.Error(), "needs an https endpoint") {
		t.Fatalf("CA with http endpoint: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not a certificate"), 0o600)
	withCA.CAFile = empty
	if _, err := objects.New(withCA); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("empty bundle: %v", err)
	}
}
