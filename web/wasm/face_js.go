//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"github.com/idv-oss/idv/face/presence"
)

// errFaceUsage is the answer to idvCheckFace's arguments of the wrong
// kinds.
var errFaceUsage = errors.New("idvCheckFace(rgba Uint8ClampedArray, width, height integer, ovalX, ovalY, ovalW, ovalH number: fractions of the frame)")

// checkFace answers one call of idvCheckFace: the result's value, or
// {error} for arguments that are not a frame and an oval.
func checkFace(d *presence.Detector, args []js.Value) any {
	if len(args) != 7 {
		return map[string]any{"error": errFaceUsage.Error()}
	}
	var o [4]float64
	for i, v := range args[3:] {
		if v.Type() != js.TypeNumber {
			return map[string]any{"error": errFaceUsage.Error()}
		}
		o[i] = v.Float()
	}
	frame, err := frameOf(args[:3], errFaceUsage)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	res, err := d.Check(frame, presence.Oval{X: o[0], Y: o[1], W: o[2], H: o[3]})
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	return res.Value()
}
