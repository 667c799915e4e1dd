package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	check "github.com/idv-oss/idv/consumers/capture"
	"github.com/idv-oss/idv/consumers/decision"
	"github.com/idv-oss/idv/consumers/doccheck"
	"github.com/idv-oss/idv/consumers/facematch"
	"github.com/idv-oss/idv/consumers/liveness"
	"github.com/idv-oss/idv/consumers/notify"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/consumers/wipe"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/outbox"
	"github.com/idv-oss/idv/producers/retention"
)

// stages are the pipeline's stages in event order.
var stages = []string{"doccheck", "facematch", "liveness", "decision", "notify", "wipe"}

// brokerConn is a connection to JetStream.
type brokerConn struct {
	nc *nats.Conn
	js jetstream.JetStream
}

// openBroker connects to JetStream. Stream IDV and the stages' consumers
// are declared once, by `idv migrate` (and `idv dev`), not by each worker;
// a worker whose consumer is missing says so when it starts.
func openBroker(ctx context.Context, cfg config, name string) (*brokerConn, error) {
	if cfg.NATSURL == "" {
		return nil, errors.New("IDV_NATS_URL is not set")
	}
	connectCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	nc, js, err := broker.Connect(connectCtx, cfg.NATSURL, name)
	if err != nil {
		return nil, err
	}
	return &brokerConn{nc: nc, js: js}, nil
}

// declare creates or updates stream IDV and every stage's durable consumer;
// it is idempotent.
func (b *brokerConn) declare(ctx context.Context, cfg config) error {
	if _, err := broker.DeclareStream(ctx, b.js, broker.StreamConfig{Replicas: cfg.StreamReplicas, MaxAge: cfg.StreamMaxAge}); err != nil {
		return err
	}
	specs := make([]broker.ConsumerSpec, 0, len(stages))
	for _, s := range stages {
		specs = append(specs, broker.Consumers[s])
	}
	return broker.DeclareConsumers(ctx, b.js, specs...)
}

func (b *brokerConn) check(context.Context) error {
	if s := b.nc.Status(); s != nats.CONNECTED {
		return fmt.Errorf("nats: %s", s)
	}
	return nil
}

func (b *brokerConn) Close() { b.nc.Close() }

// relayPart publishes the outbox to JetStream.
func relayPart(st *stack, b *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) part {
	r := outbox.New(postgres.NewOutbox(st.db), postgres.NewOutboxListener(cfg.DatabaseURL, 0, 0, log), broker.NewPublisher(b.js), log, outbox.NewMetrics(reg), outbox.Config{})
	return part{name: "relay", run: r.Run}
}

// retentionPart finds expired sessions and destroys spent epoch keys.
func retentionPart(st *stack, log *slog.Logger, reg prometheus.Registerer) part {
	r := retention.New(retention.Deps{Store: postgres.NewRetention(st.db), Keys: st.vault,
		Log: log.With("part", "retention"), Metrics: retention.NewMetrics(reg)}, retention.Config{})
	return part{name: "retention", run: r.Run}
}

func runRetention(ctx context.Context, cfg config, log *slog.Logger) error {
	return runPipelinePart(ctx, cfg, log, "retention", func(ctx context.Context, st *stack, b *brokerConn, reg prometheus.Registerer) ([]part, error) {
		return []part{retentionPart(st, log, reg)}, nil
	})
}

// stageParts runs the named stages, one consume loop each. A stage that
// cannot run here (face match without its models) fails the start when it
// was named explicitly; when it came with "all" (or idv dev) it is left out
// with a warning saying why, and the decision deadline decides its sessions.
func stageParts(ctx context.Context, names []string, explicit bool, st *stack, b *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) ([]part, error) {
	metrics := stage.NewMetrics(reg)
	var parts []part
	var running []string
	for _, name := range names {
		h, sc, closer, err := newStage(name, st, cfg, log, reg)
		if errors.Is(err, face.ErrUnavailable) && !explicit {
			log.Warn("stage cannot run here; sessions asking for its check are decided review at the deadline",
				"stage", name, "err", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		cons, err := broker.Consumer(ctx, b.js, name)
		if err != nil {
			closer()
			return nil, fmt.Errorf("%w (run `idv migrate` with IDV_NATS_URL set to declare it)", err)
		}
		parts = append(parts, part{name: name, run: func(ctx context.Context) error {
			defer closer()
			return stage.Run(ctx, cons, h, log, metrics, sc)
		}})
		running = append(running, name)
	}
	// The broker's view of each running stage's backlog: what waits for a
	// worker, what is out with one, what came back.
	reg.MustRegister(broker.NewConsumerCollector(b.js, running))
	return parts, nil
}

// stageConcurrency is how many handlers each stage runs at once unless
// IDV_STAGE_CONCURRENCY says otherwise: the face stages are CPU-bound (one
// ONNX intra-op thread each, so about one per core), the others mostly wait
// on PostgreSQL, storage and webhook targets.
var stageConcurrency = map[string]int{"doccheck": 8, "facematch": 2, "liveness": 2, "decision": 8, "notify": 16, "wipe": 16}

// newStage builds a stage's handler, loop configuration and what to close
// when it stops.
func newStage(name string, st *stack, cfg config, log *slog.Logger, reg prometheus.Registerer) (stage.Handler, stage.Config, func(), error) {
	log = log.With("stage", name)
	sc := stage.Config{Stage: name, Concurrency: first(cfg.StageConcurrency, stageConcurrency[name])}
	nothing := func() {}
	switch name {
	case "facematch":
		engine, err := openFace(name, cfg, facematch.Models)
		if err != nil {
			return nil, sc, nothing, err
		}
		cscas, err := st.trustedCSCAs(cfg, log)
		if err != nil {
			engine.Close()
			return nil, sc, nothing, fmt.Errorf("facematch: %w", err)
		}
		return facematch.New(facematch.Deps{Stores: checkStores(st, log), Engine: engine, CSCAs: cscas},
			facematch.Config{Threshold: cfg.FaceThreshold, MaxPixels: cfg.maxPixels()}), sc, func() { engine.Close() }, nil
	case "liveness":
		engine, err := openFace(name, cfg, liveness.Models)
		if err != nil {
			return nil, sc, nothing, err
		}
		return liveness.New(liveness.Deps{Stores: checkStores(st, log), Engine: engine},
			liveness.Config{TurnYaw: cfg.LivenessTurn, Blink: cfg.LivenessBlink, MaxPixels: cfg.maxPixels()}), sc, func() { engine.Close() }, nil
	case "doccheck":
		deps := doccheck.Deps{Sessions: postgres.NewSessions(st.db), Tenants: postgres.NewTenants(st.db),
			Results: postgres.NewResults(st.db), Keys: st.vault, Objects: st.objects, Log: log}
		var err error
		if deps.CSCAs, err = st.trustedCSCAs(cfg, log); err != nil {
			return nil, sc, nothing, fmt.Errorf("doccheck: %w", err)
		}
		dc := doccheck.Config{MaxPixels: cfg.maxPixels()}
		if cfg.DocImageChecks {
			reader, err := ocrb.NewReader()
			if err != nil {
				return nil, sc, nothing, fmt.Errorf("doccheck: %w", err)
			}
			deps.Reader, dc.QualityGates, dc.Quality = reader, true, cfg.DocQuality
		}
		// The face detector finds the portrait to black out in redacted
		// copies; without it the stage masks by the ICAO layout instead,
		// so its absence is no reason not to run.
		closer := nothing
		if cfg.FaceDir != "" {
			engine, err := face.Open(cfg.FaceDir, face.Config{Models: []string{face.Detector}})
			if err != nil {
				log.Warn("doccheck: redacted copies mask the portrait by layout, not by face detection", "err", err)
			} else {
				deps.Faces, closer = engine, func() { engine.Close() }
			}
		}
		return doccheck.New(deps, dc), sc, closer, nil
	case "decision":
		return decision.New(decision.Deps{Sessions: postgres.NewDecisions(st.db), Log: log}), sc, nothing, nil
	case "notify":
		// With the default base of a minute and MaxDeliver 21
		// (infra/broker), retries span about three days.
		sc.Backoff = stage.ExponentialBackoff(first(cfg.WebhookRetryBase, time.Minute), 6*time.Hour)
		return notify.New(notify.Deps{Deliveries: postgres.NewDeliveries(st.db), Secrets: st.vault,
			Metrics: notify.NewMetrics(reg), Log: log, Fields: notify.Fields{Sessions: postgres.NewSessions(st.db),
				Keys: st.vault, Results: postgres.NewResults(st.db), Audit: postgres.NewAudit(st.db)}},
			notify.Config{APIBaseURL: cfg.PublicURL, AllowPrivate: cfg.WebhookAllowPrivate}), sc, nothing, nil
	case "wipe":
		return wipe.New(wipe.Deps{Sessions: postgres.NewWipes(st.db), Objects: st.objects, Signer: st.vault,
			Metrics: wipe.NewMetrics(reg), Log: log}, wipe.Config{}), sc, nothing, nil
	}
	return nil, sc, nothing, fmt.Errorf("unknown stage %q (stages: %s)", name, strings.Join(stages, ", "))
}

// checkStores are the stores of a check stage over captures.
func checkStores(st *stack, log *slog.Logger) check.Stores {
	return check.Stores{Sessions: postgres.NewSessions(st.db), Results: postgres.NewResults(st.db),
		Keys: st.vault, Objects: st.objects, Log: log}
}

// trustedCSCAs reads the trusted Country Signing CAs of IDV_CSCA_DIR once
// per process, for every stage that verifies chip data; nil when it is not
// set (chip data is then not read).
func (st *stack) trustedCSCAs(cfg config, log *slog.Logger) (*chip.TrustStore, error) {
	st.cscasOnce.Do(func() {
		if cfg.CSCADir == "" {
			return
		}
		if st.cscas, st.cscasErr = chip.LoadTrustDir(cfg.CSCADir); st.cscasErr != nil {
			st.cscasErr = fmt.Errorf("IDV_CSCA_DIR: %w", st.cscasErr)
			return
		}
		log.Info("chip data verified against trusted CSCAs", "cscas", st.cscas.Len())
	})
	return st.cscas, st.cscasErr
}

// openFace opens the face engine with the models a stage runs; without
// IDV_FACE_DIR or the installed files the error is face.ErrUnavailable.
func openFace(stageName string, cfg config, models []string) (*face.Engine, error) {
	if cfg.FaceDir == "" {
		return nil, fmt.Errorf("%s: IDV_FACE_DIR is not set (run scripts/face-models.sh): %w", stageName, face.ErrUnavailable)
	}
	engine, err := face.Open(cfg.FaceDir, face.Config{Models: models})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stageName, err)
	}
	if err := engine.Warm(); err != nil {
		engine.Close()
		return nil, fmt.Errorf("%s: %w", stageName, err)
	}
	return engine, nil
}

// parseStages reads `idv worker` arguments: stage names, or "all".
func parseStages(args []string) ([]string, error) {
	if len(args) == 1 && args[0] == "all" {
		return stages, nil
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("usage: idv worker STAGE... (stages: %s, or all)", strings.Join(stages, ", "))
	}
	for _, a := range args {
		if !slices.Contains(stages, a) {
			return nil, fmt.Errorf("unknown stage %q (stages: %s, or all)", a, strings.Join(stages, ", "))
		}
	}
	return args, nil
}

func runRelay(ctx context.Context, cfg config, log *slog.Logger) error {
	return runPipelinePart(ctx, cfg, log, "relay", func(ctx context.Context, st *stack, b *brokerConn, reg prometheus.Registerer) ([]part, error) {
		return []part{relayPart(st, b, cfg, log, reg)}, nil
	})
}

func runWorker(ctx context.Context, args []string, cfg config, log *slog.Logger) error {
	names, err := parseStages(args)
	if err != nil {
		return err
	}
	return runPipelinePart(ctx, cfg, log, "worker", func(ctx context.Context, st *stack, b *brokerConn, reg prometheus.Registerer) ([]part, error) {
		return stageParts(ctx, names, !slices.Equal(args, []string{"all"}), st, b, cfg, log, reg)
	})
}

// runPipelinePart opens everything a relay or worker process needs, builds
// its parts, and runs them beside the ops endpoints.
func runPipelinePart(ctx context.Context, cfg config, log *slog.Logger, name string,
	build func(context.Context, *stack, *brokerConn, prometheus.Registerer) ([]part, error)) error {
	if err := cfg.requireServices(); err != nil {
		return err
	}
	st, err := openConfigured(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := openBroker(ctx, cfg, "idv-"+name)
	if err != nil {
		return err
	}
	defer b.Close()
	opsLn, err := listen("IDV_OPS_ADDR", first(cfg.OpsAddr, ":9090"))
	if err != nil {
		return err
	}
	reg := newRegistry()
	parts, err := build(ctx, st, b, reg)
	if err != nil {
		return err
	}
	checks := st.checks()
	checks["nats"] = b.check
	return runParts(ctx, log, append(parts, opsPart(opsLn, reg, checks))...)
}
