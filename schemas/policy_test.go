package schemas

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateFields(t *testing.T) {
	cases := []struct {
		in   []string
		want string // substring of the error; "" for none
	}{
		{[]string{"full_name", "age_over_18"}, ""},
		{nil, ""},
		{[]string{"shoe_size"}, `unknown field "shoe_size" (valid: full_name,`},
		{[]string{"full_name", "full_name"}, "named twice"},
		{[]string{"shoe_size", "eye_colour"}, `"shoe_size", "eye_colour"`},
	}
	for _, c := range cases {
		err := ValidateFields(c.in)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("ValidateFields(%v) = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestBSNNeedsALegalBasis(t *testing.T) {
	p := DefaultPolicy()
	p.Fields = append(p.Fields, FieldBSN)
	var se *SettingError
	if err := p.Validate(); !errors.As(err, &se) || se.Setting != SettingFields || !strings.Contains(err.Error(), "bsn_legal_basis") {
		t.Fatalf("bsn without a legal basis: %v", err)
	}
	p.BSNLegalBasis = "Wwft art. 33"
	if err := p.Validate(); err != nil {
		t.Fatalf("bsn with a legal basis: %v", err)
	}
	p.BSNLegalBasis = "line one\nline two"
	if err := p.Validate(); !errors.As(err, &se) || se.Setting != SettingBSNLegalBasis {
		t.Fatalf("a legal basis over two lines: %v", err)
	}
	basis := "Wwft art. 33"
	q, err := PolicyChange{BSNLegalBasis: &basis}.Apply(DefaultPolicy())
	if err != nil || q.BSNLegalBasis != basis {
		t.Fatalf("change: %+v, %v", q, err)
	}
}

func TestValidateRetentionDays(t *testing.T) {
	for days, ok := range map[int]bool{-1: false, 0: false, 1: true, 7: true, 28: true, 29: false, 365: false} {
		if err := ValidateRetentionDays(days); (err == nil) != ok {
			t.Errorf("ValidateRetentionDays(%d) = %v", days, err)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	p.SelfieFrames = 0
	if p.Validate() == nil {
		t.Error("0 selfie frames accepted")
	}
	p = DefaultPolicy()
	p.Checks = nil
	if p.Validate() == nil {
		t.Error("no checks accepted")
	}
}

func TestObjectKeyHoldsIDsOnly(t *testing.T) {
	k := ObjectKey("t-1", "s-1", 1, Selfie, 2)
	if k != "t-1/s-1/1/selfie/2" || !strings.HasPrefix(k, SessionPrefix("t-1", "s-1")) {
		t.Fatalf("ObjectKey = %q", k)
	}
}
