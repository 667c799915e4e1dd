package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	if images := os.Getenv("IDV_TEST_IMAGES"); l.cfg.FaceDir != "" && images != "" {
		if err := demoFace(ctx, l, images, stdout); err != nil {
			l.Stop()
			return fmt.Errorf("demo verification with face match and liveness: %w", err)
		}
	}
	printNext(stdout, l.cfg.PublicURL, l.env.tenant.APIKey)
	if *exitAfterDemo {
		return l.Stop()
	}
	say("running; Ctrl-C stops")
	return l.Wait()
}

func printNext(w io.Writer, apiURL, apiKey string) {
	fmt.Fprintf(w, `
Next, try (the dev tenant's API key is also in the dev dir's dev-tenant.json):
  export IDV_API_KEY=%[2]s
  curl -s -X POST -H "Authorization: Bearer $IDV_API_KEY" %[1]s/v1/sessions
  go run ./cmd/idv capture --api %[1]s --token <app_token> --front doc.png --selfie me.png [--mrz-file mrz.txt]
  or open the capture_url it returns in a browser (the hosted capture page)
  curl -s -H "Authorization: Bearer $IDV_API_KEY" %[1]s/v1/sessions/<id>

`, apiURL, apiKey)
}
