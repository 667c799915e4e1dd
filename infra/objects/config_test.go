package objects_test

import (
	"strings"
	"testing"

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
		// The CA bundle is tried against a real TLS store in
		// infra/versitygw TestTLS; here only the check that needs no file.
		{name: "CA with http", edit: func(c *objects.Config) { c.CAFile = "ca.pem" }, want: []string{"needs an https endpoint"}},
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
