package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"testing"
)

// sealStream seals plain to pub with info and returns the sealed stream.
func sealStream(t testing.TB, pub, info, plain []byte, write int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := SealStream(&out, pub, info)
	if err != nil {
		t.Fatal(err)
	}
	for p := plain; len(p) > 0; {
		k := min(len(p), write)
		if _, err := w.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func openStream(priv, info, sealed []byte) ([]byte, error) {
	r, err := OpenStream(bytes.NewReader(sealed), priv, info)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// Every length around the chunk boundaries, written in odd pieces, opens
// to the same bytes; the stream is the chunk count's records long.
func TestStreamRoundTrip(t *testing.T) {
	t.Parallel()
	pub, priv, err := NewRecipientKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPublicKey(pub); err != nil || len(pub) != PublicKeySize {
		t.Fatalf("public key of %d bytes: %v", len(pub), err)
	}
	info := []byte("idv/v1 test")
	for _, n := range []int{0, 1, StreamChunk - 1, StreamChunk, StreamChunk + 1, 3*StreamChunk + 17} {
		plain := make([]byte, n)
		rand.Read(plain)
		sealed := sealStream(t, pub, info, plain, 10_000)
		records := n/StreamChunk + 1
		if want := len(streamMagic) + encSize + n + records*(recordHeader+tagSize); len(sealed) != want {
			t.Errorf("%d bytes sealed to %d, want %d", n, len(sealed), want)
		}
		got, err := openStream(priv, info, sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: opened %d bytes, %v", n, len(got), err)
		}
	}
}

// A wrong key or info, a cut at any record boundary or inside a record, a
// flipped bit anywhere, dropped or swapped records and bytes after the end
// all fail with ErrStream, never a short read that looks complete.
func TestStreamRefusesTampering(t *testing.T) {
	t.Parallel()
	pub, priv, _ := NewRecipientKey()
	_, other, _ := NewRecipientKey()
	info := []byte("idv/v1 test")
	plain := make([]byte, 2*StreamChunk+100)
	rand.Read(plain)
	sealed := sealStream(t, pub, info, plain, len(plain))
	head := len(streamMagic) + encSize
	rec := recordHeader + maxRecordSize
	swapped := append([]byte{}, sealed[:head]...)
	swapped = append(swapped, sealed[head+rec:head+2*rec]...)
	swapped = append(swapped, sealed[head:head+rec]...)
	swapped = append(swapped, sealed[head+2*rec:]...)
	cases := map[string]struct {
		priv, info, sealed []byte
	}{
		"wrong key":           {other, info, sealed},
		"wrong info":          {priv, []byte("idv/v1 other"), sealed},
		"cut at a record":     {priv, info, sealed[:head+rec]},
		"cut in a record":     {priv, info, sealed[:head+rec+100]},
		"final record gone":   {priv, info, sealed[:head+2*rec]},
		"cut in the header":   {priv, info, sealed[:100]},
		"first record gone":   {priv, info, append(append([]byte{}, sealed[:head]...), sealed[head+rec:]...)},
		"records swapped":     {priv, info, swapped},
		"bytes after the end": {priv, info, append(append([]byte{}, sealed...), 0)},
		"not a stream":        {priv, info, bytes.Repeat([]byte{'x'}, 2000)},
	}
	for _, pos := range []int{3, head - 1, head + 2, head + 700, len(sealed) - 1, len(sealed) - 30} {
		b := append([]byte{}, sealed...)
		b[pos] ^= 0x01
		cases[fmt.Sprintf("bit flipped at %d", pos)] = struct{ priv, info, sealed []byte }{priv, info, b}
	}
	for name, c := range cases {
		got, err := openStream(c.priv, c.info, c.sealed)
		if !errors.Is(err, ErrStream) {
			t.Errorf("%s: opened %d bytes, err %v; want ErrStream", name, len(got), err)
		}
	}
}
