//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"image"
	"syscall/js"

	"github.com/idv-oss/idv/document/framecheck"
)

// errUsage is the answer to arguments of the wrong kinds.
var errUsage = errors.New("idvCheckDocument(rgba Uint8ClampedArray, width, height integer)")

// frameOf copies the frame the arguments describe into Go memory; usage
// is the error of arguments of the wrong kinds.
func frameOf(args []js.Value, usage error) (*image.NRGBA, error) {
	if len(args) != 3 || !bytesArray(args[0]) || !integer(args[1]) || !integer(args[2]) {
		return nil, usage
	}
	w, h := args[1].Int(), args[2].Int()
	if n := args[0].Length(); n != 4*w*h { // before allocating
		return nil, fmt.Errorf("%w: %d bytes for a %d×%d frame, want %d", usage, n, w, h, 4*w*h)
	}
	frame, err := framecheck.NewFrame(w, h)
	if err != nil {
		return nil, err
	}
	js.CopyBytesToGo(frame.Pix, args[0])
	return frame, nil
}

// bytesArray reports whether v is an array js.CopyBytesToGo copies from.
func bytesArray(v js.Value) bool {
	g := js.Global()
	return v.Type() == js.TypeObject && (v.InstanceOf(g.Get("Uint8ClampedArray")) || v.InstanceOf(g.Get("Uint8Array")))
}

// integer reports whether v is a whole number.
func integer(v js.Value) bool {
	return v.Type() == js.TypeNumber && v.Float() == float64(v.Int())
}
