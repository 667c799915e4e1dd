package capture_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// countingGetter counts the reads that reach the store.
type countingGetter struct {
	capture.Getter
	gets atomic.Int32
}

func (g *countingGetter) Get(ctx context.Context, key string, maxSize int64) ([]byte, error) {
	g.gets.Add(1)
	return g.Getter.Get(ctx, key, maxSize)
}

// blockingGetter holds its first read until release closes.
type blockingGetter struct {
	capture.Getter
	gets    atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (g *blockingGetter) Get(ctx context.Context, key string, maxSize int64) ([]byte, error) {
	if g.gets.Add(1) == 1 {
		close(g.entered)
		<-g.release
	}
	return g.Getter.Get(ctx, key, maxSize)
}

// TestDecodesShare: two stages reading the same capture through one
// Decodes read and decode it once and get the same image; a third reads
// it again; one that comes while the first decodes waits for it; a
// capture that gives no image, one too big to keep, one held
// past Hold and every read through a nil Decodes are read each time.
func TestDecodesShare(t *testing.T) {
	ctx := t.Context()
	s3 := s3test.NewStore(t)
	store := &countingGetter{Getter: s3}
	priv, err := seal.KEM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tenant, session := uuid.New(), uuid.New()
	key := seal.NewSessionKey(tenant, session, priv)
	put := func(index int, side int) idv.Capture {
		t.Helper()
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		img.Set(1, 1, color.RGBA{R: 200, A: 255})
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		sealed, err := seal.Seal(key.PublicKey(), seal.CaptureInfo(session, 1, string(schemas.Selfie), index), b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		objectKey := schemas.ObjectKey(tenant.String(), session.String(), 1, schemas.Selfie, index)
		if err := s3.Put(ctx, objectKey, sealed); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(sealed)
		return idv.Capture{SessionID: session, TenantID: tenant, Attempt: 1, Kind: schemas.Selfie, Index: index,
			ObjectKey: objectKey, Size: int64(len(sealed)), SHA256: sum[:]}
	}
	const maxBytes, maxPixels = 1 << 20, 1 << 20
	open := func(d *capture.Decodes, c idv.Capture) (image.Image, string) {
		t.Helper()
		img, reason, err := d.OpenImage(ctx, store, key, c, maxBytes, maxPixels)
		if err != nil {
			t.Fatal(err)
		}
		return img, reason
	}
	reads := func(want int32, what string) {
		t.Helper()
		if got := store.gets.Swap(0); got != want {
			t.Errorf("%s: %d reads of the store, want %d", what, got, want)
		}
	}

	d := capture.NewDecodes(capture.DecodesConfig{MaxBytes: 64 * 64 * 4})
	frame := put(0, 32)
	first, _ := open(d, frame)
	if d.Held() != 1 {
		t.Errorf("after the first of two readers %d images held, want 1", d.Held())
	}
	second, _ := open(d, frame)
	reads(1, "two readers")
	if first == nil || first != second {
		t.Errorf("the second reader got %p, want the first's image %p", second, first)
	}
	if d.Held() != 0 {
		t.Errorf("after both readers %d images held, want none", d.Held())
	}
	open(d, frame)
	reads(1, "a third reader")

	tampered := put(1, 32)
	tampered.SHA256 = make([]byte, 32) // not what was sealed: capture_tampered, for each reader
	for range 2 {
		if img, reason := open(d, tampered); img != nil || reason != capture.ReasonCaptureTampered {
			t.Errorf("tampered capture: image %v, reason %q", img != nil, reason)
		}
	}
	reads(2, "a capture that gives no image")

	big := put(2, 80) // 80 × 80 × 4 bytes: more than MaxBytes
	open(d, big)
	open(d, big)
	reads(2, "an image too big to keep")

	var none *capture.Decodes
	open(none, frame)
	open(none, frame)
	reads(2, "no Decodes")

	brief := capture.NewDecodes(capture.DecodesConfig{Hold: time.Millisecond})
	open(brief, frame)
	for deadline := time.Now().Add(10 * time.Second); brief.Held() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("an image kept 10 s past a hold of 1 ms")
		}
	}
	open(brief, frame)
	reads(2, "a reader after the hold")

	// A form is applied once, to the shared image; readers of another
	// form, or of the image as decoded, share nothing with its readers.
	var converts atomic.Int32
	gray := capture.Form{Name: "gray", Convert: func(img image.Image) image.Image {
		converts.Add(1)
		g := image.NewGray(img.Bounds())
		draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
		return g
	}}
	openAs := func(d *capture.Decodes, f capture.Form) image.Image {
		t.Helper()
		img, reason, err := d.OpenImageAs(ctx, store, key, frame, maxBytes, maxPixels, f)
		if err != nil || reason != "" {
			t.Fatalf("open as %q: %q %v", f.Name, reason, err)
		}
		return img
	}
	forms := capture.NewDecodes(capture.DecodesConfig{})
	asGray := openAs(forms, gray)
	asDecoded, _ := open(forms, frame)
	if again := openAs(forms, gray); again != asGray {
		t.Errorf("the second reader of a form got %p, want the first's %p", again, asGray)
	}
	if _, ok := asGray.(*image.Gray); !ok {
		t.Errorf("the form's readers got a %T, want its *image.Gray", asGray)
	}
	if _, ok := asDecoded.(*image.Gray); ok {
		t.Error("a reader of the image as decoded got the form's")
	}
	if n := converts.Swap(0); n != 1 {
		t.Errorf("two readers of a form converted %d times, want 1", n)
	}
	reads(2, "two readers of a form and one of the image as decoded")
	if _, ok := openAs(none, gray).(*image.Gray); !ok || converts.Load() != 1 {
		t.Errorf("no Decodes: the form applied %d times, want 1", converts.Load())
	}
	reads(1, "a form without a Decodes")

	// A reader that comes while the first decodes waits for that decode.
	blocking := &blockingGetter{Getter: store, entered: make(chan struct{}), release: make(chan struct{})}
	shared := capture.NewDecodes(capture.DecodesConfig{})
	got := make(chan image.Image, 2)
	for range 2 {
		go func() {
			img, _, err := shared.OpenImage(ctx, blocking, key, frame, maxBytes, maxPixels)
			if err != nil {
				t.Error(err)
			}
			got <- img
		}()
		if blocking.gets.Load() == 0 {
			<-blocking.entered // the first is in its read
		}
	}
	close(blocking.release)
	if a, b := <-got, <-got; a == nil || a != b {
		t.Errorf("two readers at once got %p and %p, want one image", a, b)
	}
	if n := blocking.gets.Load(); n != 1 {
		t.Errorf("two readers at once read the store %d times, want 1", n)
	}
	reads(1, "two readers at once")

	// Once both readers have it, nothing of the Decodes keeps the image
	// alive, however long its hold.
	long := capture.NewDecodes(capture.DecodesConfig{Hold: time.Hour})
	collected := make(chan struct{})
	img, _ := open(long, frame)
	onCollect(t, img, func() { close(collected) })
	img, _ = open(long, frame)
	_ = img
	img = nil
	for i := 0; ; i++ {
		runtime.GC()
		select {
		case <-collected:
			return
		default:
		}
		if i == 100 {
			t.Fatal("an image both readers took is still reachable after 100 collections")
		}
		time.Sleep(time.Millisecond)
	}
}

// onCollect runs f once img is garbage.
func onCollect(t *testing.T, img image.Image, f func()) {
	t.Helper()
	switch m := img.(type) {
	case *image.RGBA:
		runtime.AddCleanup(m, func(func()) { f() }, f)
	case *image.NRGBA:
		runtime.AddCleanup(m, func(func()) { f() }, f)
	default:
		t.Fatalf("decoded a %T", img)
	}
}

// TestDecodesFor: a capture no other stage reads is decoded without
// sharing (nil), one another stage reads with the process's Decodes.
func TestDecodesFor(t *testing.T) {
	d := capture.NewDecodes(capture.DecodesConfig{})
	if d.For(true) != d || d.For(false) != nil || (*capture.Decodes)(nil).For(true) != nil {
		t.Fatal("For: want the Decodes when another stage reads, nil otherwise")
	}
}
