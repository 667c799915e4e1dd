package main

import (
	"context"
	"log/slog"
)

// runRetention is `idv retention`: it requests the wipe of expired
// sessions and destroys spent epoch keys.
func runRetention(ctx context.Context, cfg config, log *slog.Logger) error {
	return runPipelinePart(ctx, cfg, log, "retention", onePart(retentionPart))
}
