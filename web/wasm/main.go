//go:build js && wasm

// Command wasm is the document check's image checks (package
// document/framecheck: the quality gates and the MRZ trust rule, the Go
// code the server runs) built for the hosted capture page with GOOS=js
// GOARCH=wasm by build.sh. Run by wasm_exec.js, it defines one function on
// globalThis and waits for calls:
//
//	idvCheckDocument(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number)
//	  → {reasons: string[], measures: {width, height, focus, glare, colourfulness, borderEdges, cardEdge},
//	     mrz: {read: boolean, trusted: boolean, parsed: boolean}}
//	  | {error: string}
//
// rgba is a frame's pixels as a canvas's ImageData holds them. The answer
// holds codes, measures and booleans only: the MRZ's text never reaches
// JavaScript. A call runs to completion before it returns, so the page
// calls it from a worker.
package main

import (
	"fmt"
	"os"
	"syscall/js"
	"time"

	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/ocrb"
)

func main() {
	reader, err := ocrb.NewReader()
	if err != nil {
		// The page's go.run() then resolves and the function stays
		// undefined: the page carries on without feedback.
		fmt.Fprintln(os.Stderr, "idvCheckDocument:", err)
		os.Exit(1)
	}
	// The gates on, at their defaults: the server's, unless its operator
	// tuned them (IDV_DOCCHECK_QUALITY), which the page does not know.
	checker := framecheck.New(reader, framecheck.Config{Gates: true})
	js.Global().Set("idvCheckDocument", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return check(checker, args, time.Now())
	}))
	select {} // calls arrive from JavaScript
}

// check answers one call: the result's value, or {error} for arguments
// that are not a frame (never a panic, which would stop the module).
func check(c *framecheck.Checker, args []js.Value, now time.Time) any {
	frame, err := frameOf(args)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	return c.Check(now, frame).Value()
}
