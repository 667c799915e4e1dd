package chip

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Seed corpora are in testdata/fuzz/<FuzzName>: SODs built here (RSA,
// P-256, without signed attributes) and by openssl (brainpool, RSA-PSS),
// the master lists, data groups with JPEG and JPEG 2000 portraits.

// parseError asserts that a parser's error wraps one of the package's
// sentinels, so callers can map it to a reason.
func parseError(t *testing.T, err error) {
	t.Helper()
	for _, s := range []error{ErrMalformed, ErrTooLarge, ErrUnsupported, ErrNotFound, ErrPortraitUnsupported} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error wraps no sentinel: %v", err)
}

func FuzzParseSOD(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		sod, err := ParseSOD(b)
		if err != nil {
			parseError(t, err)
			return
		}
		for _, n := range sod.DataGroups() {
			if len(sod.hashes[n]) != sod.HashAlgorithm.Size() {
				t.Fatalf("DG%d hash of %d bytes", n, len(sod.hashes[n]))
			}
		}
		if sod.signed.signer.signedAttrs != nil && sod.signed.signer.signedAttrs[0] != 0x31 {
			t.Fatal("signed attributes not re-tagged as SET")
		}
	})
}

// FuzzVerify runs the whole verification on a hostile SOD against the
// openssl brainpool document's data groups and CSCA: it returns known
// reasons and never a portrait from a data group it could not check.
func FuzzVerify(f *testing.F) {
	in, trust := opensslDocument(f, "brainpool")
	v := NewVerifier(trust)
	known := []Reason{ReasonSODMalformed, ReasonDGMalformed, ReasonDGMissing, ReasonHashMismatch,
		ReasonSignatureInvalid, ReasonAlgorithmUnsupported, ReasonDSExpired, ReasonUntrustedCSCA,
		ReasonDG1MRZMismatch, ReasonAAFailed, ReasonAANoChallenge, ReasonPortraitUnsupported}
	f.Fuzz(func(t *testing.T, sod []byte) {
		in := in
		in.SOD = sod
		r := v.Verify(in)
		for _, x := range r.Reasons {
			if !slices.Contains(known, x) {
				t.Fatalf("unknown reason %q", x)
			}
		}
		if !slices.IsSorted(r.Reasons) {
			t.Fatalf("reasons unsorted: %v", r.Reasons)
		}
		if r.Portrait != nil && !slices.Contains(r.DataGroups, 2) {
			t.Fatal("portrait from an unverified DG2")
		}
		if slices.Contains(r.Reasons, ReasonSODMalformed) && r.Passive {
			t.Fatal("malformed SOD passed")
		}
	})
}

func FuzzParseDG1(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		mrz, err := ParseDG1(b)
		if err != nil {
			parseError(t, err)
			return
		}
		again, err := ParseDG1(dg1(mrz))
		if err != nil || again != mrz {
			t.Fatalf("re-encoded DG1 reads %q, %v", again, err)
		}
	})
}

func FuzzParsePortrait(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePortrait(b)
		if err != nil {
			parseError(t, err)
			return
		}
		if p.Format != "jpeg" || !bytes.HasPrefix(p.Image, jpegMagic) || !bytes.Contains(b, p.Image) {
			t.Fatalf("portrait %q of %d bytes", p.Format, len(p.Image))
		}
	})
}

func FuzzParseMasterList(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		ml, err := ParseMasterList(b)
		if err != nil {
			parseError(t, err)
			return
		}
		for _, c := range ml.CSCAs {
			if c == nil || len(c.Raw) == 0 {
				t.Fatal("empty certificate in the list")
			}
		}
		_ = ml.VerifySigner(NewTrustStore(ml.CSCAs...), opensslTime) // must not panic
	})
}

func FuzzParseFiles(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := ParseFiles(b)
		if err != nil {
			parseError(t, err)
			return
		}
		total := len(files.SOD)
		for n, dg := range files.DataGroups {
			if n < 1 || n > 16 || len(dg) == 0 {
				t.Fatalf("DG%d of %d bytes", n, len(dg))
			}
			total += len(dg)
		}
		if total != len(b) {
			t.Fatalf("files hold %d of %d bytes", total, len(b))
		}
	})
}

// FuzzActiveAuthentication: a hostile DG15 key and answer yield an error,
// never a panic, and never pass against a challenge the fuzzer cannot see.
func FuzzActiveAuthentication(f *testing.F) {
	challenge := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF} // as in testdata/openssl/aa
	other := []byte("another challenge")
	f.Fuzz(func(t *testing.T, dg15, sig []byte) {
		key, err := parseDG15(dg15)
		if err != nil {
			parseError(t, err)
			return
		}
		_ = verifyActive(key, 0, ActiveAuthentication{Challenge: challenge, Signature: sig})
		if verifyActive(key, 0, ActiveAuthentication{Challenge: other, Signature: sig}) == nil &&
			verifyActive(key, 0, ActiveAuthentication{Challenge: challenge, Signature: sig}) == nil {
			t.Fatal("one answer passed for two challenges")
		}
	})
}

// TestSeedCorporaPresent guards against the seed corpora going missing,
// which would leave the fuzzers' regular runs with nothing to check.
func TestSeedCorporaPresent(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"FuzzParseSOD", "FuzzVerify", "FuzzParseDG1", "FuzzParsePortrait", "FuzzParseMasterList", "FuzzParseFiles", "FuzzActiveAuthentication"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
		if err != nil || len(entries) < 2 {
			t.Errorf("%s: %d seeds, %v", name, len(entries), err)
		}
	}
}
