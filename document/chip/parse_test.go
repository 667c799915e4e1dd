package chip

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseDG1(t *testing.T) {
	t.Parallel()
	td3 := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	td1 := joinMRZ(specimenMRZ)
	for _, tc := range []struct {
		name string
		in   []byte
		want string
		err  error
	}{
		{"TD3", dg1(td3), td3, nil},
		{"TD1", dg1(td1), td1, nil},
		{"MRZ after another element", berTLV(0x61, append(berTLV(0x5F01, []byte("0107")), berTLV(0x5F1F, []byte(td3))...)), td3, nil},
		{"wrong outer tag", berTLV(0x62, berTLV(0x5F1F, []byte(td3))), "", ErrMalformed},
		{"no MRZ", berTLV(0x61, berTLV(0x5F01, []byte("0107"))), "", ErrNotFound},
		{"MRZ of 71 characters", dg1(td3[:71]), "", ErrMalformed},
		{"lower-case MRZ", dg1("p" + td3[1:]), "", ErrMalformed},
		{"length beyond the data", []byte{0x61, 0x82, 0x10, 0x00, 0x5F}, "", ErrMalformed},
		{"indefinite length", []byte{0x61, 0x80, 0x00, 0x00}, "", ErrMalformed},
		{"trailing bytes", append(dg1(td3), 0), "", ErrMalformed},
		{"empty", nil, "", ErrMalformed},
		{"oversized", make([]byte, MaxDataGroupBytes+1), "", ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDG1(tc.in)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParsePortrait(t *testing.T) {
	t.Parallel()
	good := dg2(t, false)
	for _, tc := range []struct {
		name string
		in   []byte
		err  error
	}{
		{"JPEG", good, nil},
		{"JPEG 2000", dg2(t, true), ErrPortraitUnsupported},
		{"enciphered biometric data", berTLV(0x75, berTLV(0x7F61, append([]byte{2, 1, 1},
			berTLV(0x7F60, berTLV(0x7F2E, []byte{1, 2, 3}))...))), ErrPortraitUnsupported},
		{"facial record version 030", bytes.Replace(good, []byte("010\x00"), []byte("030\x00"), 1), ErrPortraitUnsupported},
		{"not a facial record", bytes.Replace(good, []byte("FAC\x00"), []byte("FIR\x00"), 1), ErrMalformed},
		{"no biometric template", berTLV(0x75, berTLV(0x7F61, []byte{2, 1, 0})), ErrNotFound},
		{"truncated", good[:len(good)-10], ErrMalformed},
		{"wrong outer tag", append([]byte{0x76}, good[1:]...), ErrMalformed},
		{"oversized", make([]byte, MaxDataGroupBytes+1), ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePortrait(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err == nil && (p.Format != "jpeg" || !bytes.Equal(p.Image, jpegBytes(t))) {
				t.Fatalf("portrait %+v", p)
			}
		})
	}
}

// A face block whose declared length exceeds the record is refused.
func TestParsePortraitBlockLength(t *testing.T) {
	t.Parallel()
	good := dg2(t, false)
	i := bytes.Index(good, []byte("FAC\x00")) + 14
	bad := bytes.Clone(good)
	bad[i] = 0x7F
	if _, err := ParsePortrait(bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v", err)
	}
}

func TestParseSODErrors(t *testing.T) {
	t.Parallel()
	d := buildDocument(t, docOptions{ec: true})
	sod, err := ParseSOD(d.sod)
	if err != nil {
		t.Fatal(err)
	}
	if got := sod.DataGroups(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("data groups %v", got)
	}
	// A SignedData whose content is not an LDS security object.
	ml := raw(t, 1, 23, true, signedDataContentInfo(t, oidCSCAMasterList, []byte{0x30, 0}, d.ds, d.dsKey, false, false))
	for name, b := range map[string][]byte{
		"master list in 0x77": ml,
		"bare ContentInfo":    d.sod[2:],
		"trailing byte":       append(bytes.Clone(d.sod), 0),
	} {
		if _, err := ParseSOD(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ParseSOD(make([]byte, MaxSODBytes+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized: %v", err)
	}
}
