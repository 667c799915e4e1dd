package doccheck_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/doccheck"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// chipDocument reads one of the chip package's openssl documents (whose DG1
// is the specimen td1("SPECI2014", "650310", 2034-01-01)) as an app would
// upload it: EF.SOD and the data groups concatenated, and its CSCA.
func chipDocument(t *testing.T, profile string) (files []byte, dg2 []byte, csca *chip.Certificate) {
	t.Helper()
	dir := filepath.Join("..", "..", "document", "chip", "testdata", "openssl", profile)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	block, _ := pem.Decode(read("csca.pem"))
	csca, err := chip.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Join([][]byte{read("sod.bin"), read("dg1.bin"), read("dg2.bin")}, nil), read("dg2.bin"), csca
}

func TestDocumentCheckChip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brainpool, brainpoolDG2, brainpoolCSCA := chipDocument(t, "brainpool")
	pss, _, pssCSCA := chipDocument(t, "pss")
	trusted := b.newStage(b.store, doccheck.Config{}, chip.NewTrustStore(brainpoolCSCA, pssCSCA))
	otherCSCA := b.newStage(b.store, doccheck.Config{}, chip.NewTrustStore(pssCSCA))

	good := td1("SPECI2014", "650310", time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)) // as in DG1
	other := td1("SPECI2014", "650310", b.now.AddDate(5, 0, 0))                     // valid, but not the chip's
	front := doccheck.TestPNG(t, 64, 48)
	captures := func(text string, files []byte) []appclient.Capture {
		return []appclient.Capture{
			{Kind: schemas.DocumentFront, Plain: front},
			{Kind: schemas.MRZ, Plain: []byte(text)},
			{Kind: schemas.Chip, Plain: files},
		}
	}
	tamperedDG2 := bytes.Clone(brainpool)
	i := bytes.Index(tamperedDG2, brainpoolDG2) + len(brainpoolDG2) - 20
	tamperedDG2[i] ^= 1

	cases := []struct {
		name    string
		stage   *doccheck.Stage
		caps    []appclient.Capture
		outcome string
		reasons []string
	}{
		{"brainpool chip, trusted CSCA", trusted, captures(good, brainpool), schemas.OutcomePassed, []string{}},
		{"RSA-PSS chip, trusted CSCA", trusted, captures(good, pss), schemas.OutcomePassed, []string{}},
		{"portrait altered", trusted, captures(good, tamperedDG2), schemas.OutcomeFailed, []string{"chip_hash_mismatch"}},
		{"chip of another document than the MRZ read", trusted, captures(other, brainpool),
			schemas.OutcomeFailed, []string{"chip_dg1_mrz_mismatch"}},
		{"CSCA not trusted", otherCSCA, captures(good, brainpool), schemas.OutcomeFailed, []string{"chip_untrusted_csca"}},
		{"chip capture that is no chip data", trusted, captures(good, []byte("not chip files")),
			schemas.OutcomeFailed, []string{"chip_sod_malformed"}},
		{"no CSCAs configured: the chip is not read", b.stage, captures(other, []byte("not chip files")),
			schemas.OutcomePassed, []string{}},
		{"no chip capture", trusted, captures(good, nil)[:2], schemas.OutcomePassed, []string{}},
	}
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				id := b.intake(t, b.specimens, []string{schemas.CheckDocument}, c.caps)
				if err := c.stage.Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
					t.Fatalf("Handle: %v", err)
				}
				res, err := postgres.NewResults(b.db.DB).Get(t.Context(), b.specimens, id, schemas.CheckDocument)
				if err != nil {
					t.Fatal(err)
				}
				if string(res.Outcome) != c.outcome || !slices.Equal(res.Reasons, c.reasons) {
					t.Fatalf("result %s %q, want %s %q", res.Outcome, res.Reasons, c.outcome, c.reasons)
				}
			})
		}
	})
	// Invariant 1: neither the MRZ nor the chip's contents left the sealed
	// captures.
	forbidden := slices.Clone(personal)
	for _, text := range []string{good, other} {
		forbidden = append(forbidden, strings.Split(strings.TrimSpace(text), "\n")...)
	}
	b.assertNothingPersonal(t, forbidden)
}

// The portrait passive authentication vouched for is decoded as evidence.
func TestChipPortraitEvidence(t *testing.T) {
	t.Parallel()
	files, _, csca := chipDocument(t, "brainpool")
	good := td1("SPECI2014", "650310", time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC))
	reasons, portrait := doccheck.CheckChip(t, chip.NewTrustStore(csca), files, good, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(reasons) != 0 || portrait == nil || portrait.Bounds().Dx() != 8 || portrait.Bounds().Dy() != 8 {
		t.Fatalf("reasons %v portrait %v", reasons, portrait)
	}
	reasons, portrait = doccheck.CheckChip(t, chip.NewTrustStore(), files, good, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if !slices.Equal(reasons, []string{"chip_untrusted_csca"}) || portrait != nil {
		t.Fatalf("untrusted: reasons %v portrait %v", reasons, portrait)
	}
}

// TestDocumentCheckChipActiveAuthentication: the chip's answer counts only
// when it signs the challenge the server drew for this session.
func TestDocumentCheckChipActiveAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join("..", "..", "document", "chip", "testdata", "go", "aa-p256")
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	csca, err := chip.ParseCertificate(read("csca.der"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(read("aa-key.pem"))
	aaKey, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	answer := func(challenge []byte) []byte {
		out, err := chip.AnswerECDSA(aaKey, challenge)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	stage := b.newStage(b.store, doccheck.Config{}, chip.NewTrustStore(csca))
	files := bytes.Join([][]byte{read("sod.bin"), read("dg1.bin"), read("dg2.bin"), read("dg15.bin")}, nil)
	good := td1("SPECI2014", "650310", time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)) // as in DG1
	run := func(sessionChallenge, signed []byte) idv.Result {
		t.Helper()
		b.chipChallenge = sessionChallenge
		caps := []appclient.Capture{
			{Kind: schemas.DocumentFront, Plain: doccheck.TestPNG(t, 64, 48)},
			{Kind: schemas.MRZ, Plain: []byte(good)},
			{Kind: schemas.Chip, Plain: files},
			{Kind: schemas.ChipAA, Plain: answer(signed)},
		}
		id := b.intake(t, b.specimens, []string{schemas.CheckDocument}, caps)
		if err := stage.Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
			t.Fatal(err)
		}
		res, err := postgres.NewResults(b.db.DB).Get(t.Context(), b.specimens, id, schemas.CheckDocument)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	drawn := []byte{0x3a, 0x91, 0x07, 0xfe, 0x55, 0x10, 0xc2, 0x6d}
	if r := run(drawn, drawn); r.Outcome != schemas.OutcomePassed || len(r.Reasons) != 0 {
		t.Fatalf("answer to the session's challenge: %+v", r)
	}
	if r := run(drawn, []byte("replayed")); r.Outcome != schemas.OutcomeFailed || !slices.Equal(r.Reasons, []string{"chip_aa_failed"}) {
		t.Fatalf("answer to another challenge: %+v", r)
	}
	if r := run(nil, drawn); r.Outcome != schemas.OutcomeFailed || !slices.Equal(r.Reasons, []string{"chip_aa_no_challenge"}) {
		t.Fatalf("answer in a session without a challenge: %+v", r)
	}
}
