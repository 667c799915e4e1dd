package chip

import "fmt"

// MaxFilesBytes caps a chip capture: EF.SOD and sixteen data groups at
// their caps would be far more, but a real chip's files total well under it.
const MaxFilesBytes = 2 << 20

// fileTags maps the first tag of each LDS elementary file to its data group
// number (ICAO 9303-10, table 34); 0 is EF.SOD.
var fileTags = map[byte]int{
	0x77: 0, 0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8,
	0x69: 9, 0x6A: 10, 0x6B: 11, 0x6C: 12, 0x6D: 13, 0x6E: 14, 0x6F: 15, 0x70: 16,
}

// Files are the elementary files an app read from a chip.
type Files struct {
	SOD        []byte
	DataGroups map[int][]byte
}

// ParseFiles splits a chip capture, the app's files as read concatenated in
// any order (each is one BER-TLV element whose tag names it), into EF.SOD
// and data groups. The slices point into b.
func ParseFiles(b []byte) (Files, error) {
	f := Files{DataGroups: map[int][]byte{}}
	if len(b) > MaxFilesBytes {
		return f, fmt.Errorf("chip: files: %w", ErrTooLarge)
	}
	for len(b) > 0 {
		_, rest, err := readTLV(b)
		if err != nil {
			return f, fmt.Errorf("chip: files: %w", err)
		}
		file := b[:len(b)-len(rest)]
		n, ok := fileTags[file[0]]
		switch {
		case !ok:
			return f, fmt.Errorf("chip: files: %w: tag %#x names no LDS file", ErrMalformed, file[0])
		case n == 0 && f.SOD != nil, n > 0 && f.DataGroups[n] != nil:
			return f, fmt.Errorf("chip: files: %w: file with tag %#x twice", ErrMalformed, file[0])
		case n == 0:
			f.SOD = file
		default:
			f.DataGroups[n] = file
		}
		b = rest
	}
	if f.SOD == nil {
		return f, fmt.Errorf("chip: files: EF.SOD: %w", ErrNotFound)
	}
	return f, nil
}
