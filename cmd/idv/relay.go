package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/outbox"
)

// runRelay is `idv relay`: it publishes the outbox to JetStream.
func runRelay(ctx context.Context, cfg config, log *slog.Logger) error {
	return runPipelinePart(ctx, cfg, log, "relay", onePart(relayPart))
}

// relayPart publishes the outbox to JetStream.
func relayPart(st *stack, b *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) part {
	r := outbox.New(postgres.NewOutbox(st.db), postgres.NewOutboxListener(cfg.DatabaseURL, 0, 0, log), broker.NewPublisher(b.js), log, outbox.NewMetrics(reg), outbox.Config{})
	return part{name: "relay", run: r.Run}
}
