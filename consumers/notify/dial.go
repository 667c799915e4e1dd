package notify

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/idv-oss/idv"
)

// dialControl runs after the name is resolved and the socket created, just
// before connect: address is the IP the connection would go to, so a DNS
// name that resolves inward (or changes between a check and the dial) is
// refused too. Checking only the URL could not do that.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparseable address", ErrAddressNotAllowed)
	}
	if !idv.WebhookAddressAllowed(ap.Addr()) {
		// The address is ours to log (it is not personal data), but the
		// error may travel to the consume loop's logs: keep it a code.
		return ErrAddressNotAllowed
	}
	return nil
}

// newClient returns the HTTP client webhooks are sent with: an overall
// timeout, no redirects followed (a 3xx is an answer, and a failed attempt),
// no proxy from the environment (the proxy's address is what the dial check
// would see, and it would reach inward on our behalf), and the dial check
// unless allowPrivate.
func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = dialControl
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
