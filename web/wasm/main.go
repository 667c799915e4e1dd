//go:build js && wasm

// Command wasm is the capture page's checks of a camera frame, built for
// the hosted capture page with GOOS=js GOARCH=wasm by build.sh: the
// document check's image checks (package document/framecheck: the quality
// gates and the MRZ trust rule, the Go code the server runs) and the face
// presence check before the selfie frames (package face/presence). Run by
// wasm_exec.js, it defines two functions on globalThis and waits for
// calls:
//
//	idvCheckDocument(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number)
//	  → {reasons: string[], measures: {width, height, focus, glare, colourfulness, borderEdges, cardEdge},
//	     mrz: {read: boolean, trusted: boolean, parsed: boolean}}
//	  | {error: string}
//
//	idvCheckFace(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number,
//	             ovalX: number, ovalY: number, ovalW: number, ovalH: number)
//	  → {faces: number, reasons: string[], box: {x, y, w, h} | null}
//	  | {error: string}
//
// rgba is a frame's pixels as a canvas's ImageData holds them. The oval is
// the rectangle bounding the oval the page draws, and the box the one
// face's (null unless exactly one was found), both in fractions of the
// frame's width (x, w) and height (y, h). idvCheckFace's reasons, in this
// order, are no_face_selfie, multiple_faces, face_too_small,
// face_too_large and face_off_centre (presence.Reason…); none means the
// page may take the selfie frames. The answers hold codes, measures,
// booleans and a box only: the MRZ's text and the frame's pixels never
// reach JavaScript. A call runs to completion before it returns, so the
// page calls them from a worker.
package main

import (
	"fmt"
	"os"
	"syscall/js"
	"time"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/face/presence"
)

func main() {
	reader, err := ocrb.NewReader()
	if err != nil {
		// The page's go.run() then resolves and the function stays
		// undefined: the page carries on without feedback.
		fmt.Fprintln(os.Stderr, "idvCheckDocument:", err)
		os.Exit(1)
	}
	faces, err := presence.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "idvCheckFace:", err)
		os.Exit(1)
	}
	// The gates on, at their defaults: the server's, unless its operator
	// tuned them (IDV_DOCCHECK_QUALITY), which the page does not know.
	checker := framecheck.New(reader, framecheck.Config{Gates: true})
	js.Global().Set("idvCheckDocument", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return check(checker, args, time.Now())
	}))
	js.Global().Set("idvCheckFace", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return checkFace(faces, args)
	}))
	select {} // calls arrive from JavaScript
}

// check answers one call: the result's value, or {error} for arguments
// that are not a frame (never a panic, which would stop the module).
func check(c *framecheck.Checker, args []js.Value, now time.Time) any {
	frame, err := frameOf(args, errUsage)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	return c.Check(now, frame).Value()
}
