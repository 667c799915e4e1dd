package notify

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// refused are the address ranges a webhook may not connect to unless
// Config.AllowPrivate: a tenant's URL must never make IDV reach into its own
// network (server-side request forgery). Beyond what netip classifies
// (loopback, RFC 1918 and fc00::/7, link-local incl. 169.254.169.254,
// multicast, unspecified) these are ranges that are shared, reserved or
// never public.
var refused = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64 (RFC 8215)
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/32"),       // Teredo: the IPv4 inside is obfuscated
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// IPv6 forms that carry an IPv4 address, which is judged in their stead.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64: last 32 bits
	v4compat  = netip.MustParsePrefix("::/96")        // deprecated IPv4-compatible: last 32 bits
	sixToFour = netip.MustParsePrefix("2002::/16")    // 6to4: bits 16–47
)

// addressAllowed reports whether a webhook may connect to ip.
func addressAllowed(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range refused {
		if p.Contains(ip) {
			return false
		}
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip), v4compat.Contains(ip):
			return addressAllowed(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return addressAllowed(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}

// dialControl runs after the name is resolved and the socket created, just
// before connect: address is the IP the connection would go to, so a DNS
// name that resolves inward (or changes between a check and the dial) is
// refused too. Checking only the URL could not do that.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparseable address", ErrAddressNotAllowed)
	}
	if !addressAllowed(ap.Addr()) {
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
