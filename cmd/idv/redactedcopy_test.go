package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"testing"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// TestRedactedCopyEndToEnd: with redacted_copy in its policy, the tenant
// fetches a watermarked JPEG of the document front whose portrait and
// visual inspection zone are black; erasing the session deletes it from storage with the captures
// (the wipe stage, not a stand-in).
func TestRedactedCopyEndToEnd(t *testing.T) {
	s := startSystem(t)
	ctx := context.Background()
	on := true
	if _, err := postgres.NewTenants(s.st.db).UpdatePolicy(ctx, s.tenant.TenantID,
		schemas.PolicyChange{RedactedCopy: &on}.Apply); err != nil {
		t.Fatal(err)
	}
	v := s.newVerification()
	s.await(v, s.submit(v, nil))

	req, _ := http.NewRequest(http.MethodGet, s.apiURL+"/v1/sessions/"+v.id+"/redacted-copy", nil)
	req.Header.Set("Authorization", "Bearer "+s.tenant.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET redacted-copy → %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	img, err := jpeg.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// The copy is the front's size, and the middle of the card's
	// portrait (cardimage.PortraitBox on a TD1 card at 12 px/mm, with
	// 8 mm of table; the photo's perspective moves it by a few pixels)
	// is black.
	if got := img.Bounds(); got.Dx() < 1200 || got.Dx() > 1240 || got.Dy() < 820 || got.Dy() > 860 {
		t.Fatalf("copy is %v, want the front's 1219 × 840", got)
	}
	x0, y0, x1, y1 := cardimage.PortraitBox(30)
	w, h := cardimage.Size(30)
	at := func(mm float64) int { return int((8 + mm) * 12) }
	box := image.Rect(at(x0*w), at(y0*h), at(x1*w), at(y1*h))
	if mean := meanGrey(img, box.Inset(box.Dx()/4)); mean > 60 {
		t.Errorf("portrait's mean grey %.0f in the copy, want it blacked out", mean)
	}
	// The specimen card is a 2021-style Dutch card (no BSN in its MRZ),
	// which has no layout: the fallback masks its whole VIZ, the printed
	// fields right of the portrait among it.
	if mean := meanGrey(img, image.Rect(at(0.45*w), at(0.12*h), at(0.8*w), at(0.55*h))); mean > 60 {
		t.Errorf("printed fields' mean grey %.0f in the copy, want the VIZ blacked out", mean)
	}
	if !watermarked(img, image.Rect(500, 100, 1000, 480)) {
		t.Error("no watermark on the card's right half")
	}

	deleted := s.rcv.Await(v.id, schemas.WebhookSessionDeleted)
	req, _ = http.NewRequest(http.MethodDelete, s.apiURL+"/v1/sessions/"+v.id, nil)
	req.Header.Set("Authorization", "Bearer "+s.tenant.APIKey)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	resp.Body.Close()
	s.checkWiped(v, s.awaitType(v, deleted), schemas.WipeCustomerRequest)
	key := schemas.ObjectKey(s.tenant.TenantID.String(), v.id, 1, schemas.RedactedCopy, 0)
	if _, err := s.st.objects.Stat(ctx, key); !errors.Is(err, objects.ErrNotFound) {
		t.Fatalf("redacted copy still in storage after the wipe: %v", err)
	}
}

// meanGrey is img's mean grey level over r, sampled every 4 pixels.
func meanGrey(img image.Image, r image.Rectangle) float64 {
	var sum float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y += 4 {
		for x := r.Min.X; x < r.Max.X; x += 4 {
			sum += float64(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
			n++
		}
	}
	return sum / float64(max(n, 1))
}

// watermarked reports whether the watermark's red shows in r.
func watermarked(img image.Image, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, _, _ := img.At(x, y).RGBA()
			if cr > cg+20<<8 {
				return true
			}
		}
	}
	return false
}
