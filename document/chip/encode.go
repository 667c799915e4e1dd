package chip

import (
	"bytes"
	"encoding/binary"
)

// EncodeDG2 wraps one portrait (JPEG, or JPEG 2000 when jp2 is set) as a
// chip stores it: an ISO/IEC 19794-5 facial record in DG2's biometric
// information template. IDV only reads DG2; this is for chip simulators
// and tests that need a chip whose portrait is a given photo.
func EncodeDG2(img []byte, jp2 bool) []byte {
	dataType := byte(0) // JPEG
	if jp2 {
		dataType = 1
	}
	face := make([]byte, 20) // facial information block: its length, no feature points
	binary.BigEndian.PutUint32(face, uint32(20+12+len(img)))
	info := []byte{1, dataType, 0, 8, 0, 8, 1, 2, 0, 0, 0, 0} // image information block
	rec := append([]byte("FAC\x00010\x00"), 0, 0, 0, 0, 0, 1)
	binary.BigEndian.PutUint32(rec[8:], uint32(14+len(face)+len(info)+len(img)))
	rec = append(append(append(rec, face...), info...), img...)
	template := encodeTLV(0x7F60, append(encodeTLV(0xA1, encodeTLV(0x80, []byte{1, 1})), encodeTLV(0x5F2E, rec)...))
	return encodeTLV(0x75, encodeTLV(0x7F61, append([]byte{0x02, 0x01, 0x01}, template...)))
}

// encodeTLV encodes a BER-TLV element with a tag of one to three bytes and a
// definite length.
func encodeTLV(tag uint32, value []byte) []byte {
	var out bytes.Buffer
	switch {
	case tag > 0xFFFF:
		out.Write([]byte{byte(tag >> 16), byte(tag >> 8), byte(tag)})
	case tag > 0xFF:
		out.Write([]byte{byte(tag >> 8), byte(tag)})
	default:
		out.WriteByte(byte(tag))
	}
	n := len(value)
	switch {
	case n < 0x80:
		out.WriteByte(byte(n))
	case n < 0x100:
		out.Write([]byte{0x81, byte(n)})
	case n < 0x10000:
		out.Write([]byte{0x82, byte(n >> 8), byte(n)})
	default:
		out.Write([]byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)})
	}
	out.Write(value)
	return out.Bytes()
}
