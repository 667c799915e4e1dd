package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/webhooksink"
	"github.com/idv-oss/idv/schemas"
)

// demo runs one verification as a customer and an app would, with a
// generated specimen document (loadgen.SpecimenCaptures: no real person's
// data), and waits for the signed webhook with its decision.
func demo(ctx context.Context, apiURL, apiKey string, rcv *webhooksink.Sink, stdout, stderr io.Writer) error {
	var created struct {
		ID       string `json:"id"`
		AppToken string `json:"app_token"`
	}
	if err := customerCall(ctx, http.MethodPost, apiURL+"/v1/sessions", apiKey, &created); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "• demo: session %s created as the dev tenant\n", created.ID)
	hook := rcv.Await(created.ID, schemas.WebhookSessionDecided)
	caps, err := loadgen.SpecimenCaptures(3)
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

// demoFace runs a second verification with the face match and liveness
// checks: Grace Hopper's photo (Debian python-matplotlib-data) as the
// document, and frames made from it performing the challenge the server
// drew (w, the load generator's real workload: faceWorkload).
func demoFace(ctx context.Context, l *local, w *loadgen.Workload, stdout io.Writer) error {
	samples, _, err := loadgen.Run(ctx, loadgen.Config{APIURL: l.cfg.PublicURL, APIKey: l.env.tenant.APIKey,
		Checks: w.Checks, N: 1, Captures: w.Captures, Await: l.rcv.Arrival})
	if err != nil {
		return err
	}
	smp := samples[0]
	if smp.Err != nil {
		return smp.Err
	}
	var got struct {
		Results []struct {
			Check     string             `json:"check"`
			Outcome   string             `json:"outcome"`
			Reasons   []string           `json:"reasons"`
			Score     *float64           `json:"score"`
			ScoreName *string            `json:"score_name"`
			Advisory  map[string]float64 `json:"advisory"`
		} `json:"results"`
	}
	if err := customerCall(ctx, http.MethodGet, l.cfg.PublicURL+"/v1/sessions/"+smp.SessionID, l.env.tenant.APIKey, &got); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "• demo 2: session %s with checks %s, frames performing the drawn challenge → %s, %d ms from submit to webhook\n",
		smp.SessionID, strings.Join(w.Checks, ", "), smp.Decision, smp.EndToEnd.Milliseconds())
	for _, r := range got.Results {
		score := ""
		if r.Score != nil && r.ScoreName != nil {
			score = fmt.Sprintf(", %s %.3f", *r.ScoreName, *r.Score)
		}
		if p, ok := r.Advisory["passive_liveness"]; ok {
			score += fmt.Sprintf(", passive liveness %.3f (advisory only)", p)
		}
		fmt.Fprintf(stdout, "    %s check %s %v%s\n", r.Check, r.Outcome, r.Reasons, score)
	}
	return nil
}
