package chip

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestParseFiles(t *testing.T) {
	t.Parallel()
	d := buildDocument(t, docOptions{aa: true})
	all := bytes.Join([][]byte{d.dgs[15], d.sod, d.dgs[1], d.dgs[2]}, nil)
	f, err := ParseFiles(all)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.SOD, d.sod) || len(f.DataGroups) != 3 {
		t.Fatalf("SOD %d bytes, data groups %d", len(f.SOD), len(f.DataGroups))
	}
	for _, n := range []int{1, 2, 15} {
		if !bytes.Equal(f.DataGroups[n], d.dgs[n]) {
			t.Errorf("DG%d differs", n)
		}
	}
	r := NewVerifier(d.trust).Verify(Input{SOD: f.SOD, DataGroups: f.DataGroups, MRZ: specimenMRZ, At: checkTime})
	if len(r.Reasons) != 0 || !slices.Equal(r.DataGroups, []int{1, 2, 15}) {
		t.Errorf("verify: %v %v", r.Reasons, r.DataGroups)
	}

	for _, tc := range []struct {
		name string
		in   []byte
		err  error
	}{
		{"no SOD", bytes.Join([][]byte{d.dgs[1], d.dgs[2]}, nil), ErrNotFound},
		{"two DG1", bytes.Join([][]byte{d.sod, d.dgs[1], d.dgs[1]}, nil), ErrMalformed},
		{"two SODs", bytes.Join([][]byte{d.sod, d.sod}, nil), ErrMalformed},
		{"unknown file", bytes.Join([][]byte{d.sod, {0x30, 0x00}}, nil), ErrMalformed},
		{"truncated", all[:len(all)-1], ErrMalformed},
		{"empty", nil, ErrNotFound},
		{"oversized", make([]byte, MaxFilesBytes+1), ErrTooLarge},
	} {
		if _, err := ParseFiles(tc.in); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
}
