package main

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/consumers/check"
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
	"github.com/idv-oss/idv/infra/postgres"
)

// pipeline is the stages in event order: `idv worker` (and its "all"),
// `idv dev` and the declaration of their consumers read it. Adding a stage
// is its package (with its Spec) and one line here.
var pipeline = []stageWiring{
	{doccheck.Spec, buildDoccheck},
	{facematch.Spec, buildFacematch},
	{liveness.Spec, buildLiveness},
	{decision.Spec, buildDecision},
	{notify.Spec, buildNotify},
	{wipe.Spec, buildWipe},
}

// The build functions of pipeline's stages, in event order.

func buildDoccheck(st *stack, cfg config, log *slog.Logger, _ prometheus.Registerer, _ *stage.Config) (stage.Handler, func(), error) {
	deps := doccheck.Deps{Sessions: postgres.NewSessions(st.db), Tenants: postgres.NewTenants(st.db),
		Results: postgres.NewResults(st.db), Keys: st.vault, Objects: st.objects, Reads: postgres.NewReads(st.db),
		Decodes: st.decodes, Log: log}
	var err error
	if deps.CSCAs, err = st.trustedCSCAs(cfg, log); err != nil {
		return nil, nil, fmt.Errorf("doccheck: %w", err)
	}
	dc := doccheck.Config{MaxPixels: cfg.maxPixels()}
	if cfg.DocImageChecks {
		reader, err := ocrb.NewReader()
		if err != nil {
			return nil, nil, fmt.Errorf("doccheck: %w", err)
		}
		deps.Reader, dc.QualityGates, dc.Quality = reader, true, cfg.DocQuality
	}
	// The face detector finds the portrait to black out in redacted
	// copies; without it the stage masks by the ICAO layout instead,
	// so its absence is no reason not to run.
	var closer func()
	if cfg.FaceDir != "" {
		engine, err := face.Open(cfg.FaceDir, face.Config{Models: []string{face.Detector}})
		if err != nil {
			log.Warn("doccheck: redacted copies mask the portrait by layout, not by face detection", "err", err)
		} else {
			deps.Faces, closer = engine, func() { engine.Close() }
		}
	}
	return doccheck.New(deps, dc), closer, nil
}

func buildFacematch(st *stack, cfg config, log *slog.Logger, _ prometheus.Registerer, sc *stage.Config) (stage.Handler, func(), error) {
	engine, err := openFace(sc.Stage.Name, cfg, facematch.Models)
	if err != nil {
		return nil, nil, err
	}
	cscas, err := st.trustedCSCAs(cfg, log)
	if err != nil {
		engine.Close()
		return nil, nil, fmt.Errorf("facematch: %w", err)
	}
	return facematch.New(facematch.Deps{Stores: checkStores(st, log), Engine: engine, CSCAs: cscas, Analyses: st.analyses},
		facematch.Config{Threshold: cfg.FaceThreshold, MaxPixels: cfg.maxPixels()}), func() { engine.Close() }, nil
}

func buildLiveness(st *stack, cfg config, log *slog.Logger, _ prometheus.Registerer, sc *stage.Config) (stage.Handler, func(), error) {
	lcfg := liveness.Config{Challenge: cfg.challenge(), MaxPixels: cfg.maxPixels()}
	engine, err := openFace(sc.Stage.Name, cfg, liveness.Models(lcfg))
	if err != nil {
		return nil, nil, err
	}
	return liveness.New(liveness.Deps{Stores: checkStores(st, log), Challenges: postgres.NewSessions(st.db), Engine: engine,
		Analyses: st.analyses}, lcfg), func() { engine.Close() }, nil
}

func buildDecision(st *stack, _ config, log *slog.Logger, _ prometheus.Registerer, _ *stage.Config) (stage.Handler, func(), error) {
	return decision.New(decision.Deps{Sessions: postgres.NewDecisions(st.db), Log: log}), nil, nil
}

func buildNotify(st *stack, cfg config, log *slog.Logger, reg prometheus.Registerer, sc *stage.Config) (stage.Handler, func(), error) {
	// IDV_WEBHOOK_RETRY_BASE replaces the first retry delay; the doubling
	// still stops at the stage's Backoff.Max.
	sc.Stage.Backoff.Base = first(cfg.WebhookRetryBase, sc.Stage.Backoff.Base)
	return notify.New(notify.Deps{Deliveries: postgres.NewDeliveries(st.db), Records: postgres.NewNotices(st.db), Secrets: st.vault,
		Metrics: notify.NewMetrics(reg), Log: log, Fields: notify.Fields{Sessions: postgres.NewSessions(st.db),
			Keys: st.vault, Results: postgres.NewResults(st.db), Audit: postgres.NewAudit(st.db)},
		Reads: postgres.NewReads(st.db)},
		notify.Config{APIBaseURL: cfg.PublicURL, AllowPrivate: cfg.WebhookAllowPrivate}), nil, nil
}

func buildWipe(st *stack, _ config, log *slog.Logger, reg prometheus.Registerer, _ *stage.Config) (stage.Handler, func(), error) {
	return wipe.New(wipe.Deps{Sessions: postgres.NewWipes(st.db), Objects: st.objects, Signer: st.vault,
		Metrics: wipe.NewMetrics(reg), Log: log}, wipe.Config{}), nil, nil
}

// checkStores are the stores of a check stage over captures.
func checkStores(st *stack, log *slog.Logger) check.Stores {
	return check.Stores{Sessions: postgres.NewSessions(st.db), Results: postgres.NewResults(st.db),
		Keys: st.vault, Objects: st.objects, Reads: postgres.NewReads(st.db), Decodes: st.decodes, Log: log}
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
