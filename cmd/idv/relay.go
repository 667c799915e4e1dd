package main

import (
	"context"
	"log/slog"
)

// runRelay is `idv relay`: it publishes the outbox to JetStream.
func runRelay(ctx context.Context, cfg config, log *slog.Logger) error {
	return runPipelinePart(ctx, cfg, log, "relay", onePart(relayPart))
}
