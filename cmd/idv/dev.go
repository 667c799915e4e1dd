package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/infra/loadgen"
)

// runDev runs every part in one process on local state under cfg.DevDir:
// PostgreSQL from DATABASE_URL (see devDatabases), an embedded S3 gateway
// over .idv/objects, an embedded NATS JetStream server over .idv/nats, the
// API, the relay, every stage and a webhook receiver for the dev tenant;
// then a demo verification ending in a signature-checked webhook.
func runDev(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := newFlagSet("dev", stderr)
	exitAfterDemo := fs.Bool("exit-after-demo", false, "exit 0 once the demo's signed webhook has arrived")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("dev needs DATABASE_URL: run `go tool task dev`, which finds or starts PostgreSQL")
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "• "+format+"\n", a...) }
	l, err := startLocal(ctx, cfg, stdout, say, log)
	if err != nil {
		return err
	}
	if err := demo(ctx, l.cfg.PublicURL, l.env.tenant.APIKey, l.rcv, stdout, stderr); err != nil {
		l.Stop()
		return fmt.Errorf("demo verification: %w", err)
	}
	if err := demo2(ctx, l, stdout, say); err != nil {
		l.Stop()
		return fmt.Errorf("demo verification with face match and liveness: %w", err)
	}
	printNext(stdout, l.cfg.PublicURL, l.env.tenant.APIKey, l.cfg.DevDir)
	if *exitAfterDemo {
		return l.Stop()
	}
	say("running; Ctrl-C stops")
	return l.Wait()
}

func printNext(w io.Writer, apiURL, apiKey, devDir string) {
	// The admin commands find dev.env under .idv in the working directory,
	// else where IDV_DEV_DIR says.
	admin := "go run ./cmd/idv"
	if here, err := filepath.Abs(".idv"); err != nil || here != devDir {
		admin = "IDV_DEV_DIR=" + devDir + " " + admin
	}
	fmt.Fprintf(w, `
Next, try (the dev tenant's API key is also in the dev dir's dev-tenant.json):
  export IDV_API_KEY=%[2]s
  curl -s -X POST -H "Authorization: Bearer $IDV_API_KEY" %[1]s/v1/sessions
  go run ./cmd/idv card --out card.jpg > mrz.txt    # a photo of a specimen card (--mrz-file for your own MRZ)
  go run ./cmd/idv capture --api %[1]s --token <app_token> --front card.jpg --selfie me.png [--mrz-file mrz.txt]
  or open the capture_url it returns in a browser (the hosted capture page)
  curl -s -H "Authorization: Bearer $IDV_API_KEY" %[1]s/v1/sessions/<id>
  %[3]s tenant create --name acme --webhook-url http://127.0.0.1:9/acme --retention-days 7 --fields age_over_18
      (another tenant: the admin commands read the dev stack's settings from %[4]s)

`, apiURL, apiKey, admin, filepath.Join(devDir, devEnvFile))
}

// demo2 runs the second demo, or says what it needs when the face models
// or the test photos are missing: the first needs neither.
func demo2(ctx context.Context, l *local, stdout io.Writer, say func(string, ...any)) error {
	w, missing, err := faceWorkload(l.cfg)
	if err != nil {
		return err
	}
	if w == nil {
		say("demo 2 (face match and liveness) left out: %s. It runs as `go tool task dev` runs it:\n"+
			"    IDV_FACE_DIR=\"$(bash scripts/face-models.sh)\" IDV_TEST_IMAGES=\"$(bash scripts/test-images.sh)\" go run ./cmd/idv dev", missing)
		return nil
	}
	defer w.Close()
	return demoFace(ctx, l, w, stdout)
}

// faceWorkload returns the second demo's workload: Grace Hopper's photo on
// the card and frames made from it, with the face engine. Without the
// photos or the engine it returns none and what is missing.
func faceWorkload(cfg config) (*loadgen.Workload, string, error) {
	var missing []string
	if cfg.FaceDir == "" {
		missing = append(missing, "IDV_FACE_DIR (the face models) is not set")
	}
	if cfg.TestImages == "" {
		missing = append(missing, "IDV_TEST_IMAGES (the Debian test photos) is not set")
	} else if _, err := os.Stat(filepath.Join(cfg.TestImages, "grace_hopper.jpg")); err != nil {
		missing = append(missing, fmt.Sprintf("no grace_hopper.jpg in IDV_TEST_IMAGES (%s)", cfg.TestImages))
	}
	if len(missing) > 0 {
		return nil, strings.Join(missing, "; "), nil
	}
	w, err := loadgen.Real(cfg.FaceDir, cfg.TestImages)
	if errors.Is(err, face.ErrUnavailable) {
		return nil, fmt.Sprintf("the face engine cannot run: %v", err), nil
	}
	return w, "", err
}
