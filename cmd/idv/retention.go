package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/retention"
)

// runRetention is `idv retention`: it requests the wipe of expired
// sessions and destroys spent epoch keys.
func runRetention(ctx context.Context, cfg config, log *slog.Logger) error {
	return runPipelinePart(ctx, cfg, log, "retention", onePart(retentionPart))
}

// retentionPart finds expired sessions and destroys spent epoch keys.
func retentionPart(st *stack, _ *brokerConn, _ config, log *slog.Logger, reg prometheus.Registerer) part {
	r := retention.New(retention.Deps{Store: postgres.NewRetention(st.db), Keys: st.vault,
		Log: log.With("part", "retention"), Metrics: retention.NewMetrics(reg)}, retention.Config{})
	return part{name: "retention", run: r.Run}
}
