// Command pack gzips its standard input to its standard output, the same
// bytes every time for the same input and Go version: compress/gzip at
// BestCompression, with a header that names no file, time or system
// beyond what compress/gzip writes for the zero Header. build.sh runs it
// on check.wasm, so that the module producers/capturepage embeds and
// serves gzipped depends only on the sources and the toolchain
// (toolchain.txt), as the module itself does:
//
//	go run ./web/wasm/pack <check.wasm >check.wasm.gz
package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := pack(os.Stdout, os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

// pack writes src gzipped to dst.
func pack(dst io.Writer, src io.Reader) error {
	out := bufio.NewWriter(dst)
	z, err := gzip.NewWriterLevel(out, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := io.Copy(z, src); err != nil {
		return err
	}
	if err := z.Close(); err != nil {
		return err
	}
	return out.Flush()
}
