package objects

import (
	"context"
	"net/http"
	"time"

	"github.com/idv-oss/idv"
)

// PresignPostExpiring signs a policy with an arbitrary expiry, including one
// already past, which PresignPost cannot produce.
func (s *Store) PresignPostExpiring(ctx context.Context, key string, minSize, maxSize int64, expires time.Time) (idv.PostPolicy, error) {
	return s.presignPost(ctx, key, minSize, maxSize, expires)
}

// CATransport is caTransport: the transport New uses with a CA bundle.
var CATransport = caTransport

// Transport is the store's HTTP transport.
func (s *Store) Transport() *http.Transport { return s.transport }
