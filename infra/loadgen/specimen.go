package loadgen

import (
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/schemas"
)

// SpecimenCaptures are the captures of `idv dev`'s demo: the MRZ of the
// Dutch specimen identity card (state NLD, number SPECI2014), a photo of a
// card bearing it as the document front, and frames plain frames
// (PlainFrame) as selfies. No real person's data.
func SpecimenCaptures(frames int) ([]appclient.Capture, error) {
	text := mrz.SpecimenTD1(time.Now())
	front, err := cardimage.SpecimenPhoto(text, nil, 0)
	if err != nil {
		return nil, err
	}
	caps := []appclient.Capture{{Kind: schemas.DocumentFront, Plain: front}}
	for i := range frames {
		b, err := pngOf(PlainFrame(i))
		if err != nil {
			return nil, err
		}
		caps = append(caps, appclient.Capture{Kind: schemas.Selfie, Index: i, Plain: b})
	}
	caps = append(caps, appclient.Capture{Kind: schemas.MRZ, Plain: []byte(text)})
	return caps, nil
}
