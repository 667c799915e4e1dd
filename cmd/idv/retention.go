package main

import (
	"context"
	"log/slog"
)

// runRetention is `idv retention`: it requests the wipe of expired
// sessions and destroys spent epoch keys. Its events go through the
// outbox, so it plays no broker role and does not connect to the broker.
func runRetention(ctx context.Context, cfg config, log *slog.Logger) error {
	return runPipelinePart(ctx, cfg, log, "retention", nil, onePart(retentionPart))
}
