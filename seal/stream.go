package seal

import (
	"bytes"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Streams: data too large to seal in one piece (an offboarding archive of
// every session of a tenant) is sealed to a recipient's public key of the IDV
// suite in chunks under one HPKE context, so that neither side ever holds
// more than a chunk. The stream is
//
//	magic "IDVSTRM1" | enc (1,120 bytes) | record … record
//	record = flag (1 byte: 0 more, 1 final) | length (4 bytes, big-endian) | ciphertext
//
// Each record's plaintext is StreamChunk bytes, except the final record's,
// which may be shorter (also empty). The record header is the AEAD's
// associated data and the HPKE context numbers the records, so a changed
// flag or length, a reordered, repeated or dropped record, and a stream cut
// off before its final record all fail to open, as do bytes after it.

// StreamChunk is the plaintext size of every record but the last.
const StreamChunk = 64 << 10

// PublicKeySize is the size of a public key of the IDV suite.
const PublicKeySize = 1216

const (
	streamMagic   = "IDVSTRM1"
	encSize       = 1120
	tagSize       = 16
	recordHeader  = 5
	flagMore      = 0
	flagFinal     = 1
	maxRecordSize = StreamChunk + tagSize
)

// ErrStream means a sealed stream is not one: it does not start like one,
// does not open with the key and info given, or was truncated, reordered or
// altered. Errors that wrap it say which.
var ErrStream = errors.New("sealed stream does not authenticate")

// NewRecipientKey generates a key pair of the IDV suite for someone outside
// IDV to receive sealed streams (a tenant's offboarding key): the public key
// bytes and the private key as its 32-byte seed.
func NewRecipientKey() (publicKey, privateKey []byte, err error) {
	priv, err := KEM().GenerateKey()
	if err != nil {
		return nil, nil, fmt.Errorf("seal: generate recipient key: %w", err)
	}
	seed, err := priv.Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("seal: generate recipient key: %w", err)
	}
	return priv.PublicKey().Bytes(), bytes.Clone(seed), nil
}

// CheckPublicKey reports whether b is a public key of the IDV suite.
func CheckPublicKey(b []byte) error {
	if _, err := KEM().NewPublicKey(b); err != nil {
		return fmt.Errorf("seal: not a public key of the IDV suite (ML-KEM-768+X25519, %d bytes): %w", PublicKeySize, err)
	}
	return nil
}

// streamWriter seals what is written to it in StreamChunk records.
type streamWriter struct {
	w      io.Writer
	sender *hpke.Sender
	buf    []byte
	err    error
	closed bool
}

// SealStream returns a writer that seals everything written to it to
// publicKey with info and writes the sealed stream to w. Close writes the
// final record; without it the stream does not open.
func SealStream(w io.Writer, publicKey, info []byte) (io.WriteCloser, error) {
	pk, err := KEM().NewPublicKey(publicKey)
	if err != nil {
		return nil, fmt.Errorf("seal: seal stream: public key: %w", err)
	}
	enc, sender, err := hpke.NewSender(pk, kdf(), aead(), info)
	if err != nil {
		return nil, fmt.Errorf("seal: seal stream: %w", err)
	}
	if _, err := w.Write(append([]byte(streamMagic), enc...)); err != nil {
		return nil, fmt.Errorf("seal: seal stream: %w", err)
	}
	return &streamWriter{w: w, sender: sender, buf: make([]byte, 0, StreamChunk)}, nil
}

func (s *streamWriter) Write(p []byte) (int, error) {
	if s.closed {
		return 0, errors.New("seal: write to a closed sealed stream")
	}
	n := 0
	for len(p) > 0 && s.err == nil {
		k := min(len(p), StreamChunk-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(s.buf) == StreamChunk && len(p) > 0 {
			// Only a chunk with more after it is sealed as "more": the last
			// full chunk may yet be the final one.
			s.err = s.record(flagMore)
		}
	}
	return n, s.err
}

// Close seals what is buffered as the final record.
func (s *streamWriter) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	if s.err == nil && len(s.buf) == StreamChunk {
		// A full buffer at Close: write it as "more" and end with an empty
		// final record, so that only the final record is ever short.
		s.err = s.record(flagMore)
	}
	if s.err == nil {
		s.err = s.record(flagFinal)
	}
	clear(s.buf)
	return s.err
}

func (s *streamWriter) record(flag byte) error {
	hdr := binary.BigEndian.AppendUint32([]byte{flag}, uint32(len(s.buf)+tagSize))
	ct, err := s.sender.Seal(hdr, s.buf)
	if err != nil {
		return fmt.Errorf("seal: seal stream: %w", err)
	}
	clear(s.buf)
	s.buf = s.buf[:0]
	if _, err := s.w.Write(append(hdr, ct...)); err != nil {
		return fmt.Errorf("seal: seal stream: write: %w", err)
	}
	return nil
}

// streamReader opens a sealed stream record by record.
type streamReader struct {
	r         io.Reader
	recipient *hpke.Recipient
	plain     []byte // opened, not yet read
	final     bool
	err       error
	records   int
}

// OpenStream returns a reader of what was sealed with SealStream to the
// public key of privateKey (a 32-byte seed) with info. Everything it returns
// has been authenticated; it returns io.EOF only after the final record, and
// an error wrapping ErrStream for anything that does not authenticate,
// including a stream that ends early or has bytes after its end.
func OpenStream(r io.Reader, privateKey, info []byte) (io.Reader, error) {
	priv, err := KEM().NewPrivateKey(privateKey)
	if err != nil {
		return nil, fmt.Errorf("seal: open stream: private key: %w", err)
	}
	head := make([]byte, len(streamMagic)+encSize)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, fmt.Errorf("seal: open stream: %w: header: %w", ErrStream, err)
	}
	if string(head[:len(streamMagic)]) != streamMagic {
		return nil, fmt.Errorf("seal: open stream: %w: not an IDV sealed stream", ErrStream)
	}
	recipient, err := hpke.NewRecipient(head[len(streamMagic):], priv, kdf(), aead(), info)
	if err != nil {
		return nil, fmt.Errorf("seal: open stream: %w: %w", ErrStream, err)
	}
	return &streamReader{r: r, recipient: recipient}, nil
}

func (s *streamReader) Read(p []byte) (int, error) {
	for len(s.plain) == 0 && s.err == nil {
		if s.final {
			s.err = s.expectEnd()
			break
		}
		s.err = s.next()
	}
	if len(s.plain) > 0 {
		n := copy(p, s.plain)
		s.plain = s.plain[n:]
		return n, nil
	}
	return 0, s.err
}

// next reads and opens one record.
func (s *streamReader) next() error {
	var hdr [recordHeader]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return fmt.Errorf("seal: open stream: %w: cut off after %d records, before the final one: %v", ErrStream, s.records, err)
	}
	flag, size := hdr[0], binary.BigEndian.Uint32(hdr[1:])
	if flag != flagMore && flag != flagFinal {
		return fmt.Errorf("seal: open stream: %w: record %d: unknown flag %d", ErrStream, s.records, flag)
	}
	if size < tagSize || size > maxRecordSize || (flag == flagMore && size != maxRecordSize) {
		return fmt.Errorf("seal: open stream: %w: record %d: length %d", ErrStream, s.records, size)
	}
	ct := make([]byte, size)
	if _, err := io.ReadFull(s.r, ct); err != nil {
		return fmt.Errorf("seal: open stream: %w: record %d cut off: %v", ErrStream, s.records, err)
	}
	plain, err := s.recipient.Open(hdr[:], ct)
	if err != nil {
		return fmt.Errorf("seal: open stream: %w: record %d (wrong key, or altered or reordered)", ErrStream, s.records)
	}
	s.records++
	s.plain, s.final = plain, flag == flagFinal
	return nil
}

// expectEnd checks that nothing follows the final record.
func (s *streamReader) expectEnd() error {
	var b [1]byte
	n, err := io.ReadFull(s.r, b[:])
	if n > 0 {
		return fmt.Errorf("seal: open stream: %w: data after the final record", ErrStream)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("seal: open stream: %w", err)
	}
	return io.EOF
}

// PublicKeyOf returns the public key of a recipient private key (a 32-byte
// seed), to check that a key pair belongs together.
func PublicKeyOf(privateKey []byte) ([]byte, error) {
	priv, err := KEM().NewPrivateKey(privateKey)
	if err != nil {
		return nil, fmt.Errorf("seal: private key: %w", err)
	}
	return priv.PublicKey().Bytes(), nil
}
