package idv_test

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/idv-oss/idv"
)

// TestCheckWebhookURLHostForms: a webhook URL's host is a DNS name, a
// canonical IPv4 address or an IPv6 address in brackets, in the dev stack
// too; a number in any other spelling is refused with the address it stands
// for, so it is never taken as a name and retried against DNS.
func TestCheckWebhookURLHostForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		private bool   // the dev stack's rule (IDV_WEBHOOK_ALLOW_PRIVATE)
		want    string // "" accepted; else a part of the refusal's message
	}{
		// Numbers in other spellings: refused in both modes, naming the
		// canonical address.
		{"https://2130706433/", false, "2130706433 is 127.0.0.1 written as a number"},
		{"http://2130706433:8080/", true, "2130706433 is 127.0.0.1 written as a number"},
		{"https://0x7f000001/", true, "0x7f000001 is 127.0.0.1 written as a number"},
		{"https://0X7F000001/", false, "0x7f000001 is 127.0.0.1 written as a number"},
		{"https://0177.0.0.1/", true, "0177.0.0.1 is 127.0.0.1 written with leading zeros"},
		{"https://127.1/", true, "127.1 is 127.0.0.1 written in fewer than four parts"},
		{"https://0x7f.1/", true, "0x7f.1 is 127.0.0.1 written in hexadecimal"},
		{"https://010.0.0.1/", true, "010.0.0.1 is 8.0.0.1 written with leading zeros"},
		{"https://1.2.3.04/", false, "1.2.3.04 is 1.2.3.4 written with leading zeros"},
		{"https://93.184.215.014/", false, "93.184.215.014 is 93.184.215.12 written with leading zeros"},
		{"https://0/", true, "0 is 0.0.0.0 written as a number"},
		{"https://3627729678/", false, "3627729678 is 216.58.195.14 written as a number"},
		{"https://127.0.0.1./", true, "127.0.0.1 is 127.0.0.1 written with a trailing dot"},
		{"https://169.254.43518/", false, "169.254.43518 is 169.254.169.254 written in fewer than four parts"},
		// Numbers that are no address at all.
		{"https://1.2.3.4.5/", true, "is a number but not an IPv4 address"},
		{"https://256.1.1.1/", true, "is a number but not an IPv4 address"},
		{"https://4294967296/", true, "is a number but not an IPv4 address"},
		{"https://08.1.1.1/", false, "is a number but not an IPv4 address"},
		// Not LDH names.
		{"https://hooks_1.example.test/", true, "letters, digits and hyphens"},
		{"https://-hooks.example.test/", false, "letters, digits and hyphens"},
		{"https://hooks-.example.test/", false, "letters, digits and hyphens"},
		{"https://hooks..example.test/", false, "letters, digits and hyphens"},
		{"https://h%C3%A9.example.test/", false, "xn-- form"},
		{"https://" + strings.Repeat("a", 64) + ".example.test/", false, "letters, digits and hyphens"},
		{"https://" + strings.Repeat("a.", 127) + "test/", false, "longer than a DNS name"},
		{"https://hooks.example.123/", false, "digits only"},
		// Brackets hold IPv6 only, without a zone.
		{"https://[127.0.0.1]/", true, "absolute http(s) URL"}, // url.Parse refuses it
		{"https://[::ffff:127.1]/", true, "absolute http(s) URL"},
		{"https://[1.2.3.4::]/", true, "absolute http(s) URL"},
		{"https://[2606:4700::1%25eth0]/", false, "zone"},
		{"http://[fe80::1%25eth0]:8080/", true, "zone"},
		// Ports.
		{"https://hooks.example.test:0/", false, "port"},
		{"https://hooks.example.test:65536/", false, "port"},
		// Outside the dev stack: https, public addresses, qualified names.
		{"http://hooks.example.test/", false, "https"},
		{"https://127.0.0.1/", false, "loopback, private"},
		{"https://[::ffff:10.0.0.1]/", false, "loopback, private"},
		{"https://localhost/", false, "loopback"},
		{"https://api.localhost./", false, "loopback"},
		{"https://receiver/", false, "fully qualified"},
		{"https://receiver./", false, "fully qualified"},

		// Accepted.
		{"https://hooks.example.test/idv", false, ""},
		{"https://HOOKS.Example.TEST./idv?x=1", false, ""},
		{"https://xn--bcher-kva.example/", false, ""},
		{"https://1password.example/", false, ""},
		{"https://0x7f.example/", false, ""}, // a name: its last label is no number
		{"https://127.0.0.1.nip.example/", false, ""},
		{"https://93.184.215.14:8443/", false, ""},
		{"https://[2606:4700:4700::1111]/", false, ""},
		{"https://[2606:4700:4700:0:0:0:0:1111]/", false, ""},
		{"https://[::ffff:1.1.1.1]/", false, ""},
		{"https://hooks.example.test:443/", false, ""},
		// The dev stack reaches its receiver on loopback, by name or address.
		{"http://localhost:8000/webhooks", true, ""},
		{"http://receiver:8000/", true, ""},
		{"http://127.0.0.1:8000/", true, ""},
		{"http://[::1]:8000/", true, ""},
		{"http://host.docker.internal:8000/webhooks", true, ""},
	}
	for _, tt := range tests {
		err := idv.CheckWebhookURL(tt.url, tt.private)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckWebhookURL(%q, %v) = %v, want accepted", tt.url, tt.private, err)
		case tt.want != "" && !errors.Is(err, idv.ErrWebhookURL):
			t.Errorf("CheckWebhookURL(%q, %v) = %v, want ErrWebhookURL", tt.url, tt.private, err)
		case tt.want != "" && !strings.Contains(err.Error(), tt.want):
			t.Errorf("CheckWebhookURL(%q, %v) = %q, want it to say %q", tt.url, tt.private, err, tt.want)
		}
	}
}

// FuzzCheckWebhookURL: whatever the URL, an accepted one has a host of one
// of the three forms (outside the dev stack: a qualified name or an address
// the address rules allow), and a refusal never repeats the URL's path or
// query.
func FuzzCheckWebhookURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.test/idv", "https://2130706433/", "https://0x7f.1/x?y=z",
		"https://0177.0.0.1/", "https://[::ffff:127.0.0.1]/", "https://[fe80::1%25eth0]/", "http://localhost:8000/",
		"https://h%C3%A9.example/", "https://127.0.0.1./", "https://a.b.c.d.e/", "https://1.2.3.04/secret-path"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, private bool) {
		err := idv.CheckWebhookURL(raw, private)
		u, perr := url.Parse(raw)
		if perr == nil {
			// The same URL with a path and query to spot: a refusal never
			// repeats them (the host is lower-cased, so it cannot hold them).
			marked := *u
			marked.Path, marked.RawPath, marked.RawQuery = "/PATHMARK", "", "QUERYMARK"
			if err := idv.CheckWebhookURL(marked.String(), private); err != nil &&
				(strings.Contains(err.Error(), "PATHMARK") || strings.Contains(err.Error(), "QUERYMARK")) {
				t.Fatalf("refusal %q repeats the path or query of %q", err, marked.String())
			}
		}
		if err != nil {
			return
		}
		if perr != nil {
			t.Fatalf("accepted %q, which url.Parse refuses: %v", raw, perr)
		}
		host := strings.ToLower(u.Hostname())
		if strings.HasPrefix(u.Host, "[") {
			ip, err := netip.ParseAddr(host)
			if err != nil || !ip.Is6() || ip.Zone() != "" {
				t.Fatalf("accepted %q: brackets around %q", raw, host)
			}
			if !private && !idv.WebhookAddressAllowed(ip) {
				t.Fatalf("accepted %q: address not allowed", raw)
			}
			return
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			if ip.String() != host {
				t.Fatalf("accepted %q: address %q not canonical", raw, host)
			}
			if !private && !idv.WebhookAddressAllowed(ip) {
				t.Fatalf("accepted %q: address not allowed", raw)
			}
			return
		}
		name := strings.TrimSuffix(host, ".")
		labels := strings.Split(name, ".")
		for _, l := range labels {
			if l == "" || len(l) > 63 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" ||
				l[0] == '-' || l[len(l)-1] == '-' {
				t.Fatalf("accepted %q: label %q is not LDH", raw, l)
			}
		}
		if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
			t.Fatalf("accepted %q: numeric last label", raw)
		}
		if !private && (len(labels) < 2 || labels[len(labels)-1] == "localhost") {
			t.Fatalf("accepted %q outside the dev stack", raw)
		}
	})
}
