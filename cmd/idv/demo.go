package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/schemas"
)

// demo runs one verification as a customer and an app would, with a
// generated specimen document (no real person's data), and waits for the
// signed webhook with its decision.
func demo(ctx context.Context, apiURL, apiKey string, rcv *receiver, stdout, stderr io.Writer) error {
	var created struct {
		ID       string `json:"id"`
		AppToken string `json:"app_token"`
	}
	if err := customerCall(ctx, http.MethodPost, apiURL+"/v1/sessions", apiKey, &created); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "• demo: session %s created as the dev tenant\n", created.ID)
	hook := rcv.await(created.ID, schemas.WebhookSessionDecided)
	caps, err := demoCaptures(3)
	if err != nil {
		return err
	}
	if err := capture(ctx, appclient.New(apiURL, created.AppToken, nil), caps, stdout, stderr); err != nil {
		return err
	}
	select {
	case <-hook:
	case <-time.After(2 * time.Minute):
		return fmt.Errorf("no signed webhook for session %s within 2 minutes", created.ID)
	case <-ctx.Done():
		return ctx.Err()
	}
	var got struct {
		Status   string         `json:"status"`
		Decision string         `json:"decision"`
		Fields   map[string]any `json:"fields"`
		Results  []struct {
			Check   string   `json:"check"`
			Outcome string   `json:"outcome"`
			Reasons []string `json:"reasons"`
			Engine  string   `json:"engine"`
		} `json:"results"`
	}
	if err := customerCall(ctx, http.MethodGet, apiURL+"/v1/sessions/"+created.ID, apiKey, &got); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "• demo: GET /v1/sessions/%s → %s, decision %s\n", created.ID, got.Status, got.Decision)
	for _, r := range got.Results {
		fmt.Fprintf(stdout, "    %s check %s %v (%s)\n", r.Check, r.Outcome, r.Reasons, r.Engine)
	}
	fmt.Fprintf(stdout, "    fields the dev tenant's policy allows: %v\n", got.Fields)
	return nil
}

func customerCall(ctx context.Context, method, url, apiKey string, out any) error {
	return loadgen.Call(ctx, &http.Client{Timeout: 30 * time.Second}, method, url, apiKey, nil, out)
}

// demoCaptures makes the MRZ of the Dutch specimen identity card (state
// NLD, number SPECI2014), a photo of a card bearing it (documentPhoto) as
// the document front, and selfie frames.
func demoCaptures(frames int) ([]appclient.Capture, error) {
	mrz := specimenMRZ(time.Now())
	front, err := documentPhoto(mrz, nil, 0)
	if err != nil {
		return nil, err
	}
	caps := []appclient.Capture{{Kind: schemas.DocumentFront, Plain: front}}
	for i := range frames {
		b, err := pngOf(faceImage(i))
		if err != nil {
			return nil, err
		}
		caps = append(caps, appclient.Capture{Kind: schemas.Selfie, Index: i, Plain: b})
	}
	caps = append(caps, appclient.Capture{Kind: schemas.MRZ, Plain: []byte(mrz)})
	return caps, nil
}

func pngOf(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("demo image: %w", err)
	}
	return buf.Bytes(), nil
}

// faceImage is a plain synthetic frame; each index differs slightly.
func faceImage(i int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 480, 640))
	fill(img, img.Bounds(), color.RGBA{200, 210, 220, 255})
	fill(img, image.Rect(140+i*4, 160, 340+i*4, 420), color.RGBA{224, 172, 140, 255})
	return img
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// demoFace runs a second verification with the face match and liveness
// checks: Grace Hopper's photo (Debian python-matplotlib-data) as the
// document, and frames made from it performing the challenge the server
// drew (the load generator's real workload).
func demoFace(ctx context.Context, l *local, images string, stdout io.Writer) error {
	w, err := newWorkload(loadOptions{mode: "real", images: images}, l.cfg)
	if err != nil {
		return err
	}
	defer w.close()
	samples, _, err := loadgen.Run(ctx, loadgen.Config{APIURL: l.cfg.PublicURL, APIKey: l.env.tenant.APIKey,
		Checks: w.checks, N: 1, Captures: w.captures, Await: l.rcv.arrival})
	if err != nil {
		return err
	}
	smp := samples[0]
	if smp.Err != nil {
		return smp.Err
	}
	var got struct {
		Results []struct {
			Check    string             `json:"check"`
			Outcome  string             `json:"outcome"`
			Reasons  []string           `json:"reasons"`
			Score    *float64           `json:"score"`
			Advisory map[string]float64 `json:"advisory"`
		} `json:"results"`
	}
	if err := customerCall(ctx, http.MethodGet, l.cfg.PublicURL+"/v1/sessions/"+smp.SessionID, l.env.tenant.APIKey, &got); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "• demo 2: session %s with checks %s, frames performing the drawn challenge → %s, %d ms from submit to webhook\n",
		smp.SessionID, strings.Join(w.checks, ", "), smp.Decision, smp.EndToEnd.Milliseconds())
	for _, r := range got.Results {
		score := ""
		if r.Score != nil {
			score = fmt.Sprintf(", score %.3f", *r.Score)
		}
		if p, ok := r.Advisory["passive_liveness"]; ok {
			score += fmt.Sprintf(", passive liveness %.3f (advisory only)", p)
		}
		fmt.Fprintf(stdout, "    %s check %s %v%s\n", r.Check, r.Outcome, r.Reasons, score)
	}
	return nil
}
