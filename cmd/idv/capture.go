package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func runCapture(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	token := fs.String("token", getenv("IDV_APP_TOKEN"), "the session's app token (or IDV_APP_TOKEN)")
	apiURL := fs.String("api", first(getenv("IDV_API_URL"), "http://127.0.0.1:8080"), "IDV API base URL (or IDV_API_URL)")
	front := fs.String("front", "", "image of the document's front (required)")
	back := fs.String("back", "", "image of the document's back")
	mrzFile := fs.String("mrz-file", "", "text file with the MRZ lines as the device read them (required)")
	chipFile := fs.String("chip-file", "", "the document chip's EF.SOD and data groups as read, concatenated")
	var selfies repeated
	fs.Var(&selfies, "selfie", "a selfie frame; repeat in capture order (at least one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" || *front == "" || *mrzFile == "" || len(selfies) == 0 {
		fs.Usage()
		return fmt.Errorf("capture needs --token, --front, --mrz-file and at least one --selfie")
	}
	caps, err := readCaptures(*front, *back, *mrzFile, *chipFile, selfies)
	if err != nil {
		return err
	}
	return capture(ctx, appclient.New(*apiURL, *token, nil), caps, stdout, stderr)
}

// capture does what an app does: fetch the session, seal, upload, submit.
func capture(ctx context.Context, c *appclient.Client, caps []appclient.Capture, stdout, stderr io.Writer) error {
	sess, err := c.Session(ctx)
	if err != nil {
		return err
	}
	if err := checkFits(sess.Slots, caps); err != nil {
		return err
	}
	if sess.Challenge != nil {
		// The frames are the caller's: say what they must show, in order.
		fmt.Fprintf(stderr, "session %s asks for liveness: selfie 0 looking straight, then %s, frames in that order\n",
			sess.SessionID, sess.Challenge)
	}
	fmt.Fprintf(stderr, "session %s: sealing %d captures to the session key\n", sess.SessionID, len(caps))
	if err := c.SealAndUpload(ctx, sess, caps, progressPrinter(stderr)); err != nil {
		return err
	}
	sub, err := c.Submit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "session %s %s at %s\n", sub.SessionID, sub.Status, sub.SubmittedAt.Format("2006-01-02 15:04:05Z07:00"))
	return nil
}

func readCaptures(front, back, mrzFile, chipFile string, selfies []string) ([]appclient.Capture, error) {
	type file struct {
		kind  schemas.CaptureKind
		index int
		path  string
	}
	files := []file{{schemas.DocumentFront, 0, front}}
	if back != "" {
		files = append(files, file{schemas.DocumentBack, 0, back})
	}
	for i, s := range selfies {
		files = append(files, file{schemas.Selfie, i, s})
	}
	files = append(files, file{schemas.MRZ, 0, mrzFile})
	if chipFile != "" {
		files = append(files, file{schemas.Chip, 0, chipFile})
	}
	caps := make([]appclient.Capture, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", schemas.CaptureRef(f.kind, f.index), err)
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("%s: %s is empty", schemas.CaptureRef(f.kind, f.index), f.path)
		}
		caps = append(caps, appclient.Capture{Kind: f.kind, Index: f.index, Plain: b})
	}
	return caps, nil
}

// checkFits refuses, before anything is sealed or sent, captures the
// session's slots cannot take.
func checkFits(slots []schemas.Slot, caps []appclient.Capture) error {
	count := map[schemas.CaptureKind]int{}
	for _, c := range caps {
		slot, ok := schemas.SlotFor(slots, c.Kind)
		if !ok {
			return fmt.Errorf("the session takes no %s captures", c.Kind)
		}
		count[c.Kind]++
		if count[c.Kind] > slot.Max {
			return fmt.Errorf("the session takes at most %d %s capture(s)", slot.Max, c.Kind)
		}
		if int64(len(c.Plain))+seal.Overhead > slot.MaxSize {
			return fmt.Errorf("%s is %d bytes; sealed it would exceed the slot's %d bytes",
				schemas.CaptureRef(c.Kind, c.Index), len(c.Plain), slot.MaxSize)
		}
	}
	return nil
}

// progressPrinter prints each upload's progress in quarters.
func progressPrinter(w io.Writer) appclient.Progress {
	last := map[string]int64{}
	return func(ref string, sent, total int64) {
		pct := sent * 100 / max(total, 1)
		step := pct / 25 * 25
		if prev, ok := last[ref]; ok && step <= prev {
			return
		}
		last[ref] = step
		fmt.Fprintf(w, "  uploading %-16s %3d%% of %d bytes\n", ref, step, total)
	}
}
