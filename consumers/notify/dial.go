package notify

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
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

// Resolver looks up the addresses of a webhook endpoint's host
// (*net.Resolver). Tests give their own, so that no name they use is ever
// looked up outside the machine.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// dialer resolves an endpoint's host with its resolver and connects to the
// addresses in the order given, each judged by the dial check (the
// net.Dialer's Control) just before connect.
type dialer struct {
	net      *net.Dialer
	resolver Resolver
}

// DialContext connects to address (host:port). A host that is a name
// reaches the first of its addresses that connects; when none does, the
// error is that of the first address that was tried and not refused, or
// ErrAddressNotAllowed when the check refused every one: only a name that
// resolves inward and nowhere else is refused as a whole.
func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return d.net.DialContext(ctx, network, address)
	}
	ipNetwork := "ip"
	switch network {
	case "tcp4":
		ipNetwork = "ip4"
	case "tcp6":
		ipNetwork = "ip6"
	}
	ips, err := d.resolver.LookupNetIP(ctx, ipNetwork, host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var failed, refused error
	for i, ip := range ips {
		conn, err := d.dialOne(ctx, network, net.JoinHostPort(ip.String(), port), len(ips)-i)
		switch {
		case err == nil:
			return conn, nil
		case ctx.Err() != nil:
			return nil, err
		case errors.Is(err, ErrAddressNotAllowed):
			refused = cmp.Or(refused, err)
		default:
			failed = cmp.Or(failed, err)
		}
	}
	return nil, cmp.Or(failed, refused)
}

// dialOne dials one address of a name, with its share of the time left
// when left addresses remain to try (at least 2 s), as the standard
// library's dialer shares it, so that one silent address does not use up
// the attempt.
func (d *dialer) dialOne(ctx context.Context, network, address string, left int) (net.Conn, error) {
	if deadline, ok := ctx.Deadline(); ok && left > 1 {
		share := max(time.Until(deadline)/time.Duration(left), 2*time.Second)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, share)
		defer cancel() // a connection made outlives its dial's context
	}
	return d.net.DialContext(ctx, network, address)
}

// newClient returns the HTTP client webhooks are sent with: an overall
// timeout, no redirects followed (a 3xx is an answer, and a failed attempt),
// no proxy from the environment (the proxy's address is what the dial check
// would see, and it would reach inward on our behalf), names resolved by
// resolver, and the dial check unless allowPrivate.
func newClient(timeout time.Duration, allowPrivate bool, resolver Resolver) *http.Client {
	d := &dialer{net: &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}, resolver: resolver}
	if !allowPrivate {
		d.net.Control = dialControl
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
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
