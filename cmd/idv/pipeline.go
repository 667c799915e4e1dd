package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/outbox"
	"github.com/idv-oss/idv/producers/retention"
)

// stageWiring is a stage as this binary runs it: its description, from
// its own package, and the function that builds its handler.
type stageWiring struct {
	spec  idv.Stage
	build buildFunc
}

// buildFunc builds a stage's handler and what to close when it stops. It
// may adjust sc, the loop's configuration, from cfg.
type buildFunc func(st *stack, cfg config, log *slog.Logger, reg prometheus.Registerer, sc *stage.Config) (stage.Handler, func(), error)

// stageNames are the names of stages.
func stageNames(stages []stageWiring) []string {
	names := make([]string, 0, len(stages))
	for _, w := range stages {
		names = append(names, w.spec.Name)
	}
	return names
}

// specs are the descriptions of stages.
func specs(stages []stageWiring) []idv.Stage {
	out := make([]idv.Stage, 0, len(stages))
	for _, w := range stages {
		out = append(out, w.spec)
	}
	return out
}

// brokerConn is a process's connections to JetStream: one per broker role
// it plays (broker.Roles) when IDV_NATS_NKEY_DIR gives it their keys, else
// one for everything.
type brokerConn struct {
	js    jetstream.JetStream // the first connection's
	conns []*nats.Conn
	roles map[string]jetstream.JetStream // by role; "" the one without credentials
}

// openBroker connects to JetStream as each of roles (broker.RoleOperator,
// broker.RoleRelay, stage names). Stream IDV and the stages' consumers are
// declared once, by `idv migrate` (and `idv dev`) as the operator, not by
// each worker, which may not; a worker whose consumer is missing says so
// when it starts.
func openBroker(ctx context.Context, cfg config, name string, roles ...string) (*brokerConn, error) {
	if cfg.NATSURL == "" {
		return nil, errors.New("IDV_NATS_URL is not set")
	}
	access := cfg.brokerAccess()
	if !access.PerRole() {
		roles = []string{""}
	} else if len(roles) == 0 {
		return nil, fmt.Errorf("%s plays no broker role", name)
	}
	connectCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	b := &brokerConn{roles: map[string]jetstream.JetStream{}}
	for _, role := range roles {
		if _, dup := b.roles[role]; dup {
			continue
		}
		opts, err := access.Options(role)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("IDV_NATS_NKEY_DIR, IDV_NATS_TLS_CA, IDV_NATS_TLS_CERT, IDV_NATS_TLS_KEY: %w", err)
		}
		client := name
		if role != "" {
			client += " as " + role
		}
		nc, js, err := broker.Connect(connectCtx, cfg.NATSURL, client, opts...)
		if err != nil {
			b.Close()
			return nil, err
		}
		if b.js == nil {
			b.js = js
		}
		b.conns = append(b.conns, nc)
		b.roles[role] = js
	}
	return b, nil
}

// as is the connection of role.
func (b *brokerConn) as(role string) (jetstream.JetStream, error) {
	if js, ok := b.roles[role]; ok {
		return js, nil
	}
	if js, ok := b.roles[""]; ok {
		return js, nil
	}
	return nil, fmt.Errorf("jetstream: not connected as broker role %s", role)
}

// declare creates or updates stream IDV and every stage's durable consumer,
// as the operator; it is idempotent.
func (b *brokerConn) declare(ctx context.Context, cfg config) error {
	js, err := b.as(broker.RoleOperator)
	if err != nil {
		return err
	}
	if _, err := broker.DeclareStream(ctx, js, broker.StreamConfig{Replicas: cfg.StreamReplicas, MaxAge: cfg.StreamMaxAge}); err != nil {
		return err
	}
	return broker.DeclareConsumers(ctx, js, specs(pipeline)...)
}

func (b *brokerConn) check(context.Context) error {
	for _, nc := range b.conns {
		if s := nc.Status(); s != nats.CONNECTED {
			return fmt.Errorf("nats: %s", s)
		}
	}
	return nil
}

func (b *brokerConn) Close() {
	for _, nc := range b.conns {
		nc.Close()
	}
}

// stageParts runs the named stages, one consume loop each. A stage that
// cannot run here (face match without its models) fails the start when it
// was named explicitly; when it came with "all" (or idv dev) it is left out
// with a warning saying why, and the decision deadline decides its sessions.
func stageParts(ctx context.Context, stages []stageWiring, explicit bool, st *stack, b *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) ([]part, error) {
	metrics := stage.NewMetrics(reg)
	st.shareAmong(stageNames(stages))
	var parts []part
	running := map[string]jetstream.JetStream{}
	for _, w := range stages {
		name := w.spec.Name
		sc := stage.Config{Stage: w.spec.WithDefaults()}
		sc.Stage.Concurrency = first(cfg.StageConcurrency, sc.Stage.Concurrency)
		h, closer, err := w.build(st, cfg, log.With("stage", name), reg, &sc)
		if closer == nil {
			closer = func() {}
		}
		if errors.Is(err, face.ErrUnavailable) && !explicit {
			log.Warn("stage cannot run here; sessions asking for its check are decided review at the deadline",
				"stage", name, "err", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		js, err := b.as(name)
		if err != nil {
			closer()
			return nil, err
		}
		cons, err := broker.Consumer(ctx, js, name)
		if err != nil {
			closer()
			return nil, fmt.Errorf("%w (run `idv migrate` with IDV_NATS_URL set to declare it)", err)
		}
		parts = append(parts, part{name: name, run: func(ctx context.Context) error {
			defer closer()
			return stage.Run(ctx, cons, h, log, metrics, sc)
		}})
		running[name] = js
	}
	// The broker's view of each running stage's backlog: what waits for a
	// worker, what is out with one, what came back.
	reg.MustRegister(broker.NewConsumerCollector(running))
	return parts, nil
}

// relayPart publishes the outbox to JetStream, as the relay.
func relayPart(st *stack, b *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) part {
	js, err := b.as(broker.RoleRelay)
	if err != nil {
		return part{name: "relay", run: func(context.Context) error { return err }}
	}
	r := outbox.New(postgres.NewOutbox(st.db), postgres.NewOutboxListener(cfg.DatabaseURL, 0, 0, log), broker.NewPublisher(js), log, outbox.NewMetrics(reg), outbox.Config{})
	return part{name: "relay", run: r.Run}
}

// retentionPart finds expired sessions, destroys spent epoch keys and
// signs the periodic audit checkpoints. The tail sweep waits out the
// longest upload policy and a round.
func retentionPart(st *stack, _ *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) part {
	r := retention.New(retentionDeps(st, log.With("part", "retention"), retention.NewMetrics(reg)),
		retention.Config{TailAfter: cfg.UploadTTL + time.Minute, CheckpointInterval: cfg.AuditCheckpointInterval})
	return part{name: "retention", run: r.Run}
}

// retentionDeps are the sweeper's parts over st: the retention store, the
// vault's epoch keys, and the periodic audit checkpoints' store, the audit
// chain heads and the audit key that signs them.
func retentionDeps(st *stack, log *slog.Logger, m *retention.Metrics) retention.Deps {
	return retention.Deps{Store: postgres.NewRetention(st.db), Keys: st.vault,
		Checkpoints: postgres.NewAuditCheckpoints(st.db), Heads: postgres.NewAudit(st.db), Sign: auditSigner(st.vault),
		Log: log, Metrics: m}
}

// partFunc builds one part of a pipeline process (relayPart, retentionPart).
type partFunc func(st *stack, b *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) part

// partsFunc builds the parts of a pipeline process.
type partsFunc func(ctx context.Context, st *stack, b *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) ([]part, error)

// onePart is the build of a process that runs the one part p.
func onePart(p partFunc) partsFunc {
	return func(_ context.Context, st *stack, b *brokerConn, cfg config, log *slog.Logger, reg prometheus.Registerer) ([]part, error) {
		return []part{p(st, b, cfg, log, reg)}, nil
	}
}

// runPipelinePart opens everything a relay, retention or worker process needs, builds
// its parts, and runs them beside the ops endpoints. It connects to the
// broker as roles, and not at all without one (retention).
func runPipelinePart(ctx context.Context, cfg config, log *slog.Logger, name string, roles []string, build partsFunc) error {
	return withStack(ctx, cfg, name, needServices, func(st *stack) error {
		var b *brokerConn
		if len(roles) > 0 {
			var err error
			if b, err = openBroker(ctx, cfg, "idv-"+name, roles...); err != nil {
				return err
			}
			defer b.Close()
		}
		// A worker's roles are its stages' names (runWorker).
		opsLn, err := listen("IDV_OPS_ADDR", cfg.opsAddr(name, roles))
		if err != nil {
			return err
		}
		reg := newRegistry()
		parts, err := build(ctx, st, b, cfg, log, reg)
		if err != nil {
			return err
		}
		checks := st.checks()
		if b != nil {
			checks["nats"] = b.check
		}
		return runParts(ctx, log, append(parts, opsPart(opsLn, reg, checks, cfg.Ops, log))...)
	})
}
