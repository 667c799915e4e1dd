package main

import (
	"context"
	"log/slog"

	"github.com/idv-oss/idv/infra/broker"
)

// runRelay is `idv relay`: it publishes the outbox to JetStream, as the
// broker's relay role.
func runRelay(ctx context.Context, cfg config, log *slog.Logger) error {
	return runPipelinePart(ctx, cfg, log, "relay", []string{broker.RoleRelay}, onePart(relayPart))
}
