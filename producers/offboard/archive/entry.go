package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// Entry is one file of the archive as the manifest lists it.
type Entry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

// hashingWriter counts and hashes (SHA-256) what passes through to w: an
// entry as it is written or read, and the sealed archive itself.
type hashingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newHashingWriter(w io.Writer) *hashingWriter {
	return &hashingWriter{w: w, h: sha256.New()}
}

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

// entry is what passed through, as the manifest lists it under name.
func (hw *hashingWriter) entry(name string) Entry {
	return Entry{Name: name, Size: hw.n, SHA256: hex.EncodeToString(hw.h.Sum(nil))}
}
