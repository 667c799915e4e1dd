package redact_test

import (
	"image"
	"testing"

	xdraw "golang.org/x/image/draw"

	"github.com/idv-oss/idv/document/redact"
	"github.com/idv-oss/idv/face/facetest"
)

// TestFindPortraitWithFaceEngine: a real photo printed where a card's
// portrait goes is found by the face engine and blacked out, face and
// hair, without the layout rule. Skips without IDV_FACE_DIR and
// IDV_TEST_IMAGES (fails with IDV_REQUIRE_FACE).
func TestFindPortraitWithFaceEngine(t *testing.T) {
	t.Parallel()
	engine := facetest.Engine(t)
	photo := facetest.Photo(t, "grace_hopper.jpg")
	img := card(t)
	// The portrait area of an ID-1 card: about 24 × 32 mm, 4 mm in
	// from the left edge, 8 mm from the top.
	at := image.Rect(int((8+4)*pxmm), int((8+8)*pxmm), int((8+28)*pxmm), int((8+40)*pxmm))
	xdraw.ApproxBiLinear.Scale(img, at, photo, photo.Bounds(), xdraw.Src, nil)

	z := redact.Finder{Faces: engine, Reader: reader(t)}.Find(img)
	if z.PortraitByRule || len(z.Portraits) == 0 {
		t.Fatalf("zones %+v, want the portrait found by the engine", z)
	}
	centre := image.Pt((at.Min.X+at.Max.X)/2, at.Min.Y+at.Dy()*2/5)
	covered := false
	for _, p := range z.Portraits {
		covered = covered || centre.In(p)
		if p.Dx() > img.Bounds().Dx()/2 {
			t.Errorf("portrait zone %v wider than half the card", p)
		}
	}
	if !covered {
		t.Fatalf("portrait zones %v miss the face at %v", z.Portraits, centre)
	}
	out := copyDecoded(t, img, z)
	if l := meanLuma(out, centre, at.Dx()/4); l > 60 {
		t.Errorf("face's mean luma %.0f in the copy, want it blacked out", l)
	}
}
