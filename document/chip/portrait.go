package chip

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// DG2 tags (ICAO 9303-10, 4.7.2; ISO/IEC 7816-11).
const (
	tagDG2             = 0x75
	tagBioGroup        = 0x7F61
	tagBioTemplate     = 0x7F60
	tagBioData         = 0x5F2E
	tagBioDataEnciphed = 0x7F2E
)

// Portrait is the first facial image in DG2.
type Portrait struct {
	// Format is "jpeg", the only format returned.
	Format string
	// Width and Height are as the facial record declares them.
	Width, Height int
	// Image is the encoded image, a subslice of the DG2 bytes.
	Image []byte
}

var (
	jpegMagic      = []byte{0xFF, 0xD8, 0xFF}
	jp2Magic       = []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' '}
	j2kCodestream  = []byte{0xFF, 0x4F, 0xFF, 0x51}
	facialHeader   = []byte("FAC\x00")
	facialVersion1 = []byte("010\x00")
)

// ParsePortrait extracts the first facial image of DG2: the biometric data
// block of the first biometric information template, an ISO/IEC 19794-5
// facial record. A JPEG 2000 image yields ErrPortraitUnsupported.
func ParsePortrait(dg2 []byte) (*Portrait, error) {
	return parseCapped("DG2", dg2, MaxDataGroupBytes, parsePortrait)
}

func parsePortrait(dg2 []byte) (*Portrait, error) {
	body, err := readTagged(dg2, tagDG2)
	if err != nil {
		return nil, err
	}
	group, err := findTLV(body, tagBioGroup)
	if err != nil {
		return nil, err
	}
	template, err := findTLV(group, tagBioTemplate)
	if err != nil {
		return nil, err
	}
	record, err := findTLV(template, tagBioData)
	if err != nil {
		if _, encErr := findTLV(template, tagBioDataEnciphed); encErr == nil {
			return nil, fmt.Errorf("%w: enciphered biometric data", ErrPortraitUnsupported)
		}
		return nil, err
	}
	return parseFacialRecord(record)
}

// parseFacialRecord reads an ISO/IEC 19794-5:2005 facial record: a 14-byte
// header, then per face a 20-byte information block, 8 bytes per feature
// point, a 12-byte image information block and the image.
func parseFacialRecord(r []byte) (*Portrait, error) {
	if len(r) < 14 || !bytes.Equal(r[:4], facialHeader) {
		return nil, fmt.Errorf("%w: not an ISO 19794-5 facial record", ErrMalformed)
	}
	if !bytes.Equal(r[4:8], facialVersion1) {
		return nil, fmt.Errorf("%w: facial record version %q", ErrPortraitUnsupported, r[4:7])
	}
	if binary.BigEndian.Uint16(r[12:14]) == 0 {
		return nil, fmt.Errorf("%w: facial record without faces", ErrMalformed)
	}
	face := r[14:]
	if len(face) < 20 {
		return nil, fmt.Errorf("%w: facial information truncated", ErrMalformed)
	}
	blockLen := int(binary.BigEndian.Uint32(face[0:4]))
	points := int(binary.BigEndian.Uint16(face[4:6]))
	imageInfo := 20 + 8*points
	if blockLen > len(face) || imageInfo+12 > blockLen {
		return nil, fmt.Errorf("%w: facial block length", ErrMalformed)
	}
	info := face[imageInfo : imageInfo+12]
	image := face[imageInfo+12 : blockLen]
	p := &Portrait{
		Width:  int(binary.BigEndian.Uint16(info[2:4])),
		Height: int(binary.BigEndian.Uint16(info[4:6])),
		Image:  image,
	}
	switch {
	case info[1] == 1 || bytes.HasPrefix(image, jp2Magic) || bytes.HasPrefix(image, j2kCodestream):
		return nil, fmt.Errorf("%w: JPEG 2000", ErrPortraitUnsupported)
	case info[1] == 0 && bytes.HasPrefix(image, jpegMagic):
		p.Format = "jpeg"
		return p, nil
	default:
		return nil, fmt.Errorf("%w: image data type %d", ErrPortraitUnsupported, info[1])
	}
}
