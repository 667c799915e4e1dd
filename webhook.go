package idv

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idv-oss/idv/schemas"
)

// Webhook signing after the Standard Webhooks convention: the signature of
// a delivery, and its check on the receiving side (the dev stack's receiver,
// and any customer that wants Go code for it).

// DefaultWebhookTolerance is how far a webhook-timestamp may be from the
// verifier's clock, either way, before Verify refuses it: it bounds how long
// a captured delivery can be replayed.
const DefaultWebhookTolerance = 5 * time.Minute

// Sentinel errors of Verify and ParseSecret. Verify's errors wrap exactly one
// of them; none ever echoes a secret or a signature.
var (
	// ErrWebhookSecret: the secret is not whsec_<base64> of 24 to 64 bytes.
	ErrWebhookSecret = errors.New("webhook: invalid secret")
	// ErrWebhookHeader: webhook-id, webhook-timestamp or webhook-signature is
	// missing, or the timestamp is not a Unix time in decimal seconds.
	ErrWebhookHeader = errors.New("webhook: missing or malformed header")
	// ErrWebhookTimestamp: the timestamp is further from now than the
	// tolerance (a replay, or a badly wrong clock).
	ErrWebhookTimestamp = errors.New("webhook: timestamp outside tolerance")
	// ErrWebhookSignature: no v1 signature in the header matches.
	ErrWebhookSignature = errors.New("webhook: no matching signature")
)

// Sign returns the webhook-signature value of a delivery: "v1," followed by
// the standard base64 of HMAC-SHA256 under secret of "id.timestamp.body",
// timestamp in Unix seconds.
func Sign(secret []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery's headers against its exact body bytes: the
// webhook-timestamp must be within tolerance of now (DefaultWebhookTolerance
// when tolerance ≤ 0), and at least one of the space-separated "v1,<base64>"
// entries of webhook-signature must be the signature under secret (several
// entries let a sender roll its secret). Other versions are ignored. The
// comparison is constant-time. The error wraps ErrWebhookSecret,
// ErrWebhookHeader, ErrWebhookTimestamp or ErrWebhookSignature.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) < schemas.MinWebhookSecretBytes || len(secret) > schemas.MaxWebhookSecretBytes {
		return fmt.Errorf("%w: key of %d bytes, want %d to %d", ErrWebhookSecret, len(secret), schemas.MinWebhookSecretBytes, schemas.MaxWebhookSecretBytes)
	}
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	id, ts, sigs := h.Get(schemas.HeaderWebhookID), h.Get(schemas.HeaderWebhookTimestamp), h.Get(schemas.HeaderWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("%w: want %s, %s and %s", ErrWebhookHeader, schemas.HeaderWebhookID, schemas.HeaderWebhookTimestamp, schemas.HeaderWebhookSignature)
	}
	sent, err := parseTimestamp(ts)
	if err != nil {
		return err
	}
	// In whole seconds, as sent; sent ≥ 0 and now is a real clock, so the
	// difference cannot overflow.
	skew := now.Unix() - sent
	if limit := int64(tolerance / time.Second); skew > limit || skew < -limit {
		return fmt.Errorf("%w: %d s from now, tolerance %s", ErrWebhookTimestamp, skew, tolerance)
	}
	// Compare the text, not decoded bytes: lenient base64 would let several
	// spellings of one signature pass, and the text comparison is as strong.
	want := []byte(base64.StdEncoding.EncodeToString(mac(secret, id, ts, body)))
	ok := false
	for _, entry := range strings.Fields(sigs) {
		version, sig, found := strings.Cut(entry, ",")
		if !found || version != "v1" {
			continue
		}
		// Look at every entry so the time taken says nothing about which matched.
		if hmac.Equal([]byte(sig), want) {
			ok = true
		}
	}
	if !ok {
		return ErrWebhookSignature
	}
	return nil
}

// parseTimestamp reads decimal Unix seconds: digits only (no sign, no
// spaces), as the Standard Webhooks libraries send them.
func parseTimestamp(ts string) (int64, error) {
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return 0, fmt.Errorf("%w: %s is not decimal Unix seconds", ErrWebhookHeader, schemas.HeaderWebhookTimestamp)
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s out of range", ErrWebhookHeader, schemas.HeaderWebhookTimestamp)
	}
	return n, nil
}

// ParseSecret decodes a webhook secret as shown to a tenant once at
// onboarding, whsec_<standard base64>, into the key bytes Sign and Verify
// take. The prefix may be left off, as the Standard Webhooks libraries allow.
// Errors wrap ErrWebhookSecret and never echo the input.
func ParseSecret(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), schemas.WebhookSecretPrefix)
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: want %s followed by standard base64", ErrWebhookSecret, schemas.WebhookSecretPrefix)
	}
	if len(key) < schemas.MinWebhookSecretBytes || len(key) > schemas.MaxWebhookSecretBytes {
		return nil, fmt.Errorf("%w: key of %d bytes, want %d to %d", ErrWebhookSecret, len(key), schemas.MinWebhookSecretBytes, schemas.MaxWebhookSecretBytes)
	}
	return key, nil
}

// Webhook endpoint changes (issue 17 point 4): the tenant's URL and the
// rotation of its secret, each recorded in the tenant's audit log.
const (
	AuditWebhookURLChanged    = "webhook_url_changed"
	AuditWebhookSecretRotated = "webhook_secret_rotated"
	// AuditWebhookDeliveryRefused: the notifier refused a delivery by the
	// address rules and will not retry it; the detail names the webhook-id,
	// the event type and the refusal code, so the tenant knows what it
	// missed.
	AuditWebhookDeliveryRefused = "webhook_delivery_refused"
	// DefaultWebhookSecretOverlap is how long a rotated-out secret still
	// signs deliveries (beside the new one) when the rotation names no overlap.
	DefaultWebhookSecretOverlap = 24 * time.Hour
	// MaxWebhookSecretOverlap is the longest overlap a rotation may ask for.
	MaxWebhookSecretOverlap = 7 * 24 * time.Hour
)

// ErrWebhookURL: a webhook URL that CheckWebhookURL refuses; the message
// says what to change and never echoes the URL (a host that is a number is
// named, with the address it stands for).
var ErrWebhookURL = errors.New("webhook: URL not allowed")

// maxWebhookURL bounds a webhook URL's length.
const maxWebhookURL = 2048

// CheckWebhookURL is the one check of a webhook URL, at registration, at a
// URL change and before every delivery: an absolute http(s) URL with a host,
// without credentials or a fragment, whose host is a DNS name (labels of
// letters, digits and hyphens; an internationalised name in its xn-- form),
// a canonical IPv4 address (four decimal parts without leading zeros) or an
// IPv6 address in brackets without a zone. Anything else is refused in every
// mode: a number in another spelling (2130706433, 0x7f.1, 0177.0.0.1, 127.1)
// is an address to some resolvers and a name to others, so it would pass as
// a name here and reach an address there. Unless allowPrivate (the dev
// stack), the URL must also be https, an address must be one
// WebhookAddressAllowed allows, and a name must have a dot and not be
// localhost: a single label is resolved through IDV's own search domains.
// The notifier checks the address again at connect time, after DNS, so a
// name that resolves inward is refused there. The error wraps ErrWebhookURL.
func CheckWebhookURL(raw string, allowPrivate bool) error {
	if len(raw) > maxWebhookURL {
		return fmt.Errorf("%w: webhook URL longer than %d bytes", ErrWebhookURL, maxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: webhook URL must be an absolute http(s) URL", ErrWebhookURL)
	}
	if u.User != nil || u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%w: webhook URL must not carry credentials or a fragment", ErrWebhookURL)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%w: webhook URL's port must be 1 to 65535", ErrWebhookURL)
		}
	}
	ip, isAddr, err := webhookHost(strings.ToLower(u.Hostname()), strings.HasPrefix(u.Host, "["))
	if err != nil {
		return err
	}
	if allowPrivate {
		return nil
	}
	if u.Scheme != "https" {
		return fmt.Errorf("%w: webhook URL must be https:// (results are personal data; plain http is for development only, with IDV_WEBHOOK_ALLOW_PRIVATE=true)", ErrWebhookURL)
	}
	if isAddr {
		if !WebhookAddressAllowed(ip) {
			return fmt.Errorf("%w: webhook URL's address is loopback, private, link-local, shared or reserved", ErrWebhookURL)
		}
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return fmt.Errorf("%w: webhook URL's host is loopback", ErrWebhookURL)
	}
	if !strings.Contains(name, ".") {
		return fmt.Errorf("%w: webhook URL's host must be a fully qualified name (a single label would be resolved through IDV's own search domains)", ErrWebhookURL)
	}
	return nil
}

// webhookHost checks the form of a webhook URL's host (lower case, without
// brackets; bracketed when the URL had them) and returns its address when it
// is an IP literal.
func webhookHost(host string, bracketed bool) (ip netip.Addr, isAddr bool, err error) {
	if bracketed {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.Is6() {
			return netip.Addr{}, false, fmt.Errorf("%w: webhook URL's host in brackets must be an IPv6 address (an IPv4 address goes without brackets)", ErrWebhookURL)
		}
		if ip.Zone() != "" {
			return netip.Addr{}, false, fmt.Errorf("%w: webhook URL's IPv6 address must not name a zone (one of IDV's own network interfaces)", ErrWebhookURL)
		}
		return ip, true, nil
	}
	// netip takes IPv4 in its canonical form only: four decimal parts of
	// 0 to 255 without leading zeros.
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
		return ip, true, nil
	}
	name := strings.TrimSuffix(host, ".")
	if name == "" {
		return netip.Addr{}, false, fmt.Errorf("%w: webhook URL must name a host", ErrWebhookURL)
	}
	if addr, form, ok := inetAton(name); ok {
		return netip.Addr{}, false, fmt.Errorf("%w: webhook URL's host %s is %s %s; write the address, which the address rules will judge",
			ErrWebhookURL, name, addr, form)
	}
	if numericHost(name) {
		return netip.Addr{}, false, fmt.Errorf("%w: webhook URL's host %s is a number but not an IPv4 address; write a DNS name or an address in canonical form",
			ErrWebhookURL, name)
	}
	if len(name) > 253 {
		return netip.Addr{}, false, fmt.Errorf("%w: webhook URL's host is longer than a DNS name can be (253 characters)", ErrWebhookURL)
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if !ldhLabel(l) {
			return netip.Addr{}, false, fmt.Errorf("%w: webhook URL's host must be a DNS name of letters, digits and hyphens (1 to 63 per label, no hyphen first or last; an internationalised name in its xn-- form) or an IP address", ErrWebhookURL)
		}
	}
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return netip.Addr{}, false, fmt.Errorf("%w: webhook URL's host ends in a label of digits only, which no top-level domain is", ErrWebhookURL)
	}
	return netip.Addr{}, false, nil
}

// ldhLabel reports whether l is a DNS label of the hostname syntax (RFC
// 1123): 1 to 63 lower-case letters, digits and hyphens, no hyphen first or
// last.
func ldhLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// inetAton reads host as the C library's inet_aton does: one to four
// dot-separated parts, each decimal, octal (a leading 0) or hex (0x), the
// last filling the bytes left. It returns the address and how its spelling
// differs from the canonical one; ok false when host is not such a number.
func inetAton(host string) (addr netip.Addr, form string, ok bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, "", false
	}
	hex, octal := false, false
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		base, digits := 10, p
		switch {
		case strings.HasPrefix(p, "0x"):
			base, digits, hex = 16, p[2:], true
		case len(p) > 1 && p[0] == '0':
			base, digits, octal = 8, p[1:], true
		}
		if digits == "" && base != 16 {
			return netip.Addr{}, "", false
		}
		var v uint64
		for j := 0; j < len(digits); j++ {
			d, ok := digitValue(digits[j])
			if !ok || d >= base {
				return netip.Addr{}, "", false
			}
			v = v*uint64(base) + uint64(d)
			if v > 0xffffffff {
				return netip.Addr{}, "", false
			}
		}
		vals[i] = v
	}
	// Every part but the last is one byte; the last fills the rest.
	var n uint32
	for i, v := range vals[:len(vals)-1] {
		if v > 0xff {
			return netip.Addr{}, "", false
		}
		n |= uint32(v) << (24 - 8*i)
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, "", false
	}
	n |= uint32(last)
	switch {
	case len(parts) == 1:
		form = "written as a number"
	case hex:
		form = "written in hexadecimal"
	case octal:
		form = "written with leading zeros, which resolvers read as octal"
	case len(parts) < 4:
		form = "written in fewer than four parts"
	default: // four decimal parts that netip refused: a trailing dot
		form = "written with a trailing dot"
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), form, true
}

func digitValue(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	}
	return 0, false
}

// numericHost reports whether every dot-separated label of host is a
// decimal, octal or hex number: an IPv4 address in one of the spellings
// inet_aton accepts, or a number too large to be one, which netip (rightly)
// does not parse.
func numericHost(host string) bool {
	for _, label := range strings.Split(host, ".") {
		digits := label
		if strings.HasPrefix(digits, "0x") {
			digits = digits[2:]
		}
		if digits == "" && label != "0x" {
			return false
		}
		for i := 0; i < len(digits); i++ {
			c := digits[i]
			if !(c >= '0' && c <= '9' || label != digits && (c >= 'a' && c <= 'f')) {
				return false
			}
		}
	}
	return true
}

// refusedPrefixes are address ranges a webhook may not reach beyond what
// netip classifies (loopback, RFC 1918 and fc00::/7, link-local incl.
// 169.254.169.254, multicast, unspecified): shared, reserved or never
// public. A tenant's URL must never make IDV reach into its own network.
var refusedPrefixes = []netip.Prefix{
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
	nat64Prefix     = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64: last 32 bits
	v4compatPrefix  = netip.MustParsePrefix("::/96")        // deprecated IPv4-compatible: last 32 bits
	sixToFourPrefix = netip.MustParsePrefix("2002::/16")    // 6to4: bits 16–47
)

// WebhookAddressAllowed reports whether a webhook may go to ip: the rule of
// CheckWebhookURL for address literals and of the notifier's dial check.
func WebhookAddressAllowed(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range refusedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64Prefix.Contains(ip), v4compatPrefix.Contains(ip):
			return WebhookAddressAllowed(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFourPrefix.Contains(ip):
			return WebhookAddressAllowed(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}
