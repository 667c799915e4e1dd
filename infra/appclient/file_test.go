package appclient_test

import (
	"strings"
	"testing"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// TestFits: captures the session's slots cannot take are refused before
// anything is sealed: a kind without a slot, more than a slot's Max, and a
// capture that sealed would exceed the slot's size.
func TestFits(t *testing.T) {
	slots := []schemas.Slot{{Kind: schemas.DocumentFront, Min: 1, Max: 1, MaxSize: 100 + seal.Overhead},
		{Kind: schemas.Selfie, Min: 1, Max: 2, MaxSize: 1 << 20}}
	front := appclient.Capture{Kind: schemas.DocumentFront, Plain: make([]byte, 100)}
	selfie := appclient.Capture{Kind: schemas.Selfie, Plain: []byte("x")}
	for _, tc := range []struct {
		name string
		caps []appclient.Capture
		want string // in the error; empty: fits
	}{
		{"fits", []appclient.Capture{front, selfie, selfie}, ""},
		{"no slot", []appclient.Capture{front, {Kind: schemas.Chip, Plain: []byte("x")}}, "takes no"},
		{"too many", []appclient.Capture{front, selfie, selfie, selfie}, "at most 2"},
		{"too big", []appclient.Capture{{Kind: schemas.DocumentFront, Plain: make([]byte, 101)}}, "would exceed"},
	} {
		err := appclient.Fits(slots, tc.caps)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
