package objects

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Config says where the bucket lives and how to sign requests to it.
type Config struct {
	// Endpoint is the store's base URL, e.g. http://127.0.0.1:9000 or
	// https://s3.eu-west-1.amazonaws.com. No path: buckets are addressed by
	// the client (path style for custom endpoints, virtual-host style for AWS).
	Endpoint string
	// Region is the signing region; it is required so that signing never
	// needs a GetBucketLocation round trip.
	Region    string
	AccessKey string
	SecretKey string
	Bucket    string
	// CAFile, when set, is a PEM bundle of the CAs the store's certificate
	// must chain to, instead of the system's; the endpoint must be https.
	CAFile string
}

// LogValue keeps the secret key out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint),
		slog.String("region", c.Region),
		slog.String("bucket", c.Bucket),
	)
}

// validate reports every problem at once, so a misconfigured deployment is
// fixed in one go rather than one restart per field.
func (c Config) validate() (*url.URL, error) {
	var errs []error
	var u *url.URL
	switch {
	case c.Endpoint == "":
		errs = append(errs, errors.New("endpoint is empty (want a URL such as http://127.0.0.1:9000)"))
	case !strings.Contains(c.Endpoint, "://"):
		errs = append(errs, fmt.Errorf("endpoint %q: scheme must be http or https (e.g. http://%s)", c.Endpoint, c.Endpoint))
	default:
		var err error
		u, err = url.Parse(c.Endpoint)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("endpoint %q is not a URL: %w", c.Endpoint, err))
		case u.Scheme != "http" && u.Scheme != "https":
			errs = append(errs, fmt.Errorf("endpoint %q: scheme must be http or https", c.Endpoint))
		case u.Host == "":
			errs = append(errs, fmt.Errorf("endpoint %q: no host", c.Endpoint))
		case u.User != nil:
			errs = append(errs, fmt.Errorf("endpoint %q: put credentials in the access and secret key, not the URL", c.Endpoint))
		case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("endpoint %q: must not have a path, query or fragment (the bucket is configured separately)", c.Endpoint))
		}
	}
	if c.CAFile != "" && u != nil && u.Scheme != "https" {
		errs = append(errs, fmt.Errorf("endpoint %q: a CA bundle (%s) needs an https endpoint", c.Endpoint, c.CAFile))
	}
	if strings.TrimSpace(c.Region) == "" {
		errs = append(errs, errors.New("region is empty (use us-east-1 for MinIO, versitygw and most other stores)"))
	}
	if c.AccessKey == "" {
		errs = append(errs, errors.New("access key is empty"))
	}
	if c.SecretKey == "" {
		errs = append(errs, errors.New("secret key is empty"))
	}
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		errs = append(errs, fmt.Errorf("bucket %q: %w", c.Bucket, err))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("objects: invalid config: %w", errors.Join(errs...))
	}
	return u, nil
}
