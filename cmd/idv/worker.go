package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// runWorker is `idv worker STAGE...`: one consume loop per stage named (or
// every stage of pipeline for "all"), each as the stage's broker role.
func runWorker(ctx context.Context, args []string, cfg config, log *slog.Logger) error {
	stages, err := parseStages(args)
	if err != nil {
		return err
	}
	return runPipelinePart(ctx, cfg, log, "worker", stageNames(stages), func(ctx context.Context, st *stack, b *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) ([]part, error) {
		return stageParts(ctx, stages, !slices.Equal(args, []string{"all"}), st, b, cfg, log, reg)
	})
}

// parseStages reads `idv worker` arguments: stage names, or "all".
func parseStages(args []string) ([]stageWiring, error) {
	if len(args) == 1 && args[0] == "all" {
		return pipeline, nil
	}
	names := strings.Join(stageNames(pipeline), ", ")
	if len(args) == 0 {
		return nil, fmt.Errorf("usage: idv worker STAGE... (stages: %s, or all)", names)
	}
	stages := make([]stageWiring, 0, len(args))
	for _, a := range args {
		i := slices.IndexFunc(pipeline, func(w stageWiring) bool { return w.spec.Name == a })
		if i < 0 {
			return nil, fmt.Errorf("unknown stage %q (stages: %s, or all)", a, names)
		}
		stages = append(stages, pipeline[i])
	}
	return stages, nil
}
