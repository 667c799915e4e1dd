package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/idv-oss/idv"

	"github.com/idv-oss/idv/infra/appclient"
)

func runCapture(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("capture", stderr)
	token := fs.String("token", getenv("IDV_APP_TOKEN"), "the session's app token (or IDV_APP_TOKEN)")
	apiURL := fs.String("api", first(getenv("IDV_API_URL"), "http://127.0.0.1:8080"), "IDV API base URL (or IDV_API_URL)")
	front := fs.String("front", "", "image of the document's front (required)")
	back := fs.String("back", "", "image of the document's back")
	mrzFile := fs.String("mrz-file", "", "text file with the MRZ lines as the device read them (optional: without it the server reads the MRZ from the photos)")
	chipFile := fs.String("chip-file", "", "the document chip's EF.SOD and data groups as read, concatenated")
	var selfies repeated
	fs.Var(&selfies, "selfie", "a selfie frame; repeat in capture order (at least one)")
	wait := fs.Duration("wait", 0, "after submitting, wait this long for the checks and say whether they ask for a retake (0: do not wait)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" || *front == "" || len(selfies) == 0 {
		fs.Usage()
		return fmt.Errorf("capture needs --token, --front and at least one --selfie")
	}
	caps, err := appclient.ReadCaptures(*front, *back, *mrzFile, *chipFile, selfies)
	if err != nil {
		return err
	}
	c := appclient.New(*apiURL, *token, nil)
	if err := capture(ctx, c, caps, stdout, stderr); err != nil || *wait <= 0 {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	sess, err := c.Checked(ctx, time.Second)
	if err != nil {
		return err
	}
	return reportChecked(sess, stdout)
}

// reportChecked says where the checks left the session, as the person
// may know it: being decided (never the decision), or what to take again
// for the next attempt.
func reportChecked(sess appclient.Session, stdout io.Writer) error {
	if sess.Status != string(idv.StatusRetakeRequested) {
		fmt.Fprintf(stdout, "session %s %s: the customer has the outcome\n", sess.SessionID, sess.Status)
		return nil
	}
	fmt.Fprintf(stdout, "session %s retake_requested: attempt %d of %d\n", sess.SessionID, sess.Attempt, sess.MaxAttempts)
	for _, r := range sess.Retake {
		fmt.Fprintf(stdout, "  take the %s again: %s\n", r.Capture, strings.Join(r.Reasons, ", "))
	}
	fmt.Fprintln(stdout, "run idv capture again with the new photos (and the others as before)")
	return nil
}

// capture does what an app does: fetch the session, seal, upload, submit.
func capture(ctx context.Context, c *appclient.Client, caps []appclient.Capture, stdout, stderr io.Writer) error {
	sess, err := c.Session(ctx)
	if err != nil {
		return err
	}
	if err := appclient.Fits(sess.Slots, caps); err != nil {
		return err
	}
	if sess.Challenge != nil {
		// The frames are the caller's: say what they must show, in order.
		fmt.Fprintf(stderr, "session %s asks for liveness: selfie 0 looking straight, then %s, frames in that order\n",
			sess.SessionID, sess.Challenge)
	}
	fmt.Fprintf(stderr, "session %s: sealing %d captures to the session key\n", sess.SessionID, len(caps))
	if err := c.SealAndUpload(ctx, sess, caps, appclient.PrintProgress(stderr)); err != nil {
		return err
	}
	sub, err := c.Submit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "session %s %s at %s\n", sub.SessionID, sub.Status, sub.SubmittedAt.Format("2006-01-02 15:04:05Z07:00"))
	return nil
}
