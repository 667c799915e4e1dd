package doccheck_test

import (
	"image"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/consumers/doccheck"
	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/schemas"
)

// BenchmarkStage is the whole document check per document against real
// PostgreSQL and the embedded S3 gateway: read the session and its key,
// fetch and open the sealed captures, decode, parse and validate the MRZ,
// store the result with its event. "mrz" sends a tiny front image; "image
// checks" a photographed rendered card (cardimage.Photograph: a little
// perspective and noise; JPEG, 1219×840, what the demo sends) through the
// quality gates and the OCR-B reader; "image checks and redacted copy"
// the same for a tenant whose policy asks for a redacted copy (no face
// detector: the portrait by rule). Intake is not timed.
func BenchmarkStage(b *testing.B) {
	bd := setup(b)
	good := td1("SPECI2014", "650310", bd.now.AddDate(5, 0, 0))
	p := schemas.DefaultPolicy()
	p.AllowSpecimen, p.RedactedCopy = true, true
	copying := bd.newTenantWith(b, "Voorbeeld B.V.", p)
	photographed := photo(b, good, func(img image.Image) image.Image { return cardimage.Photograph(img, 1) })
	for _, bc := range []struct {
		name   string
		front  []byte
		stage  *doccheck.Stage
		tenant uuid.UUID
	}{
		{"mrz", doccheck.TestPNG(b, 64, 48), bd.stage, bd.specimens},
		{"image checks", photographed, bd.imageStage(b, true), bd.specimens},
		{"image checks and redacted copy", photographed, bd.imageStage(b, true), copying},
	} {
		b.Run(bc.name, func(b *testing.B) {
			caps := []appclient.Capture{{Kind: schemas.DocumentFront, Plain: bc.front},
				{Kind: schemas.MRZ, Plain: []byte(good)},
				{Kind: schemas.Selfie, Plain: doccheck.TestJPEG(b, 32, 32)}}
			for b.Loop() {
				b.StopTimer()
				id := bd.intake(b, bc.tenant, []string{schemas.CheckDocument}, caps)
				ev := bd.event(b, schemas.TypeSessionSubmitted, id)
				b.StartTimer()
				if err := bc.stage.Handle(b.Context(), ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
