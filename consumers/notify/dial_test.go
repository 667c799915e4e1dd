package notify

import (
	"errors"
	"testing"
)

func TestDialControlRefusesInwardAddresses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		address string
		allowed bool
	}{
		// loopback
		{"127.0.0.1:80", false},
		{"127.255.255.254:443", false},
		{"[::1]:80", false},
		// RFC 1918 and unique local
		{"10.0.0.1:80", false},
		{"172.16.0.1:80", false},
		{"172.31.255.255:80", false},
		{"192.168.1.1:80", false},
		{"[fc00::1]:80", false},
		{"[fd12:3456:789a::1]:80", false},
		// link-local, cloud metadata
		{"169.254.169.254:80", false},
		{"169.254.0.1:80", false},
		{"[fe80::1]:80", false},
		{"[fe80::1%eth0]:80", false},
		// unspecified
		{"0.0.0.0:80", false},
		{"[::]:80", false},
		// multicast, broadcast, reserved
		{"224.0.0.1:80", false},
		{"239.255.255.250:1900", false},
		{"[ff02::1]:80", false},
		{"[ff05::2]:80", false},
		{"255.255.255.255:80", false},
		{"240.0.0.1:80", false},
		{"0.1.2.3:80", false},
		// carrier-grade NAT
		{"100.64.0.1:80", false},
		{"100.127.255.254:80", false},
		// IPv4-mapped IPv6 forms of the above
		{"[::ffff:127.0.0.1]:80", false},
		{"[::ffff:10.0.0.1]:80", false},
		{"[::ffff:169.254.169.254]:80", false},
		{"[::ffff:100.64.0.1]:80", false},
		{"[::ffff:7f00:1]:80", false},
		// other IPv6 embeddings of inward IPv4
		{"[::127.0.0.1]:80", false},
		{"[64:ff9b::a9fe:a9fe]:80", false}, // NAT64 of 169.254.169.254
		{"[64:ff9b::7f00:1]:80", false},    // NAT64 of 127.0.0.1
		{"[2002:a00:1::1]:80", false},      // 6to4 of 10.0.0.1
		{"[2001::1]:80", false},            // Teredo
		{"[64:ff9b:1::1]:80", false},       // local-use NAT64
		// documentation and benchmarking ranges
		{"192.0.2.10:80", false},
		{"198.18.0.1:80", false},
		{"[2001:db8::1]:80", false},
		// not an address at all
		{"localhost:80", false},
		{"", false},

		// public addresses, and public ones embedded
		{"93.184.215.14:443", true},
		{"1.1.1.1:443", true},
		{"100.63.255.255:80", true}, // just below CGNAT
		{"100.128.0.0:80", true},    // just above CGNAT
		{"172.32.0.1:80", true},     // just above 172.16/12
		{"[2606:4700:4700::1111]:443", true},
		{"[::ffff:1.1.1.1]:443", true},
		{"[64:ff9b::101:101]:443", true}, // NAT64 of 1.1.1.1
		{"[2002:101:101::1]:443", true},  // 6to4 of 1.1.1.1
	}
	for _, tt := range tests {
		err := dialControl("tcp", tt.address, nil)
		if tt.allowed && err != nil {
			t.Errorf("%q refused: %v", tt.address, err)
		}
		if !tt.allowed && !errors.Is(err, ErrAddressNotAllowed) {
			t.Errorf("%q: %v, want ErrAddressNotAllowed", tt.address, err)
		}
	}
}
