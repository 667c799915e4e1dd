package main

import (
	"bytes"
	"image"
	"image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/schemas"
)

// photo reads one of Debian's test photos (scripts/test-images.sh) and
// re-encodes it as JPEG at quality q, as a phone camera would deliver it.
func photo(t testing.TB, name string, q int) []byte {
	t.Helper()
	dir := os.Getenv("IDV_TEST_IMAGES")
	if dir == "" || os.Getenv("IDV_FACE_DIR") == "" {
		if os.Getenv("IDV_REQUIRE_FACE") != "" {
			t.Fatal("IDV_FACE_DIR and IDV_TEST_IMAGES must be set (go tool task test sets them)")
		}
		t.Skip(`face models or test photos absent: IDV_FACE_DIR="$(scripts/face-models.sh)" IDV_TEST_IMAGES="$(scripts/test-images.sh)"`)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// holderCard is a phone photo of the specimen card (the MRZ the tests'
// verifications send) with Grace Hopper's portrait printed on it, as JPEG:
// the document whose holder the selfies made from her photo show.
func holderCard(t testing.TB) []byte {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(photo(t, "grace_hopper.jpg", 92)))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := cardimage.SpecimenPhoto(mrz.SpecimenTD1(time.Now()), img, 0)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestFaceMatchEndToEnd: a session asking for the document and face checks
// is decided once both have reported — approved when the selfies show the
// document's holder, declined with low_similarity when they show someone
// else.
func TestFaceMatchEndToEnd(t *testing.T) {
	hopper := holderCard(t)
	s := startSystemWith(t, systemOptions{checks: []string{schemas.CheckDocument, schemas.CheckFace}})
	run := func(selfie []byte) sessionResultWithScores {
		v := s.newVerification()
		v.replace(schemas.DocumentFront, hopper)
		v.replace(schemas.Selfie, selfie)
		var r sessionResultWithScores
		s.await(v, s.submit(v, nil))
		if err := customerCall(t.Context(), "GET", s.apiURL+"/v1/sessions/"+v.id, s.tenant.APIKey, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	same := run(photo(t, "grace_hopper.jpg", 80))
	face := same.result("face")
	if same.Decision != schemas.DecisionApproved || len(same.Results) != 2 || face == nil || face.Score == nil || *face.Score < 0.9 {
		t.Fatalf("same person: %+v", same)
	}
	t.Logf("same person: face score %.4f, models %v", *face.Score, face.Models)
	other := run(photo(t, "astronaut.png", 85))
	face = other.result("face")
	if other.Decision != schemas.DecisionDeclined || face == nil || !slices.Contains(face.Reasons, "low_similarity") {
		t.Fatalf("another person: %+v", other)
	}
	t.Logf("another person: face score %.4f", *face.Score)
}

type sessionResultWithScores struct {
	Decision string        `json:"decision"`
	Results  []checkResult `json:"results"`
}

type checkResult struct {
	Check    string             `json:"check"`
	Outcome  string             `json:"outcome"`
	Reasons  []string           `json:"reasons"`
	Score    *float64           `json:"score"`
	Models   map[string]string  `json:"models"`
	Advisory map[string]float64 `json:"advisory"`
}

func (r sessionResultWithScores) result(check string) *checkResult {
	for i := range r.Results {
		if r.Results[i].Check == check {
			return &r.Results[i]
		}
	}
	return nil
}
