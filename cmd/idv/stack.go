package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	captures "github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/consumers/doccheck"
	"github.com/idv-oss/idv/consumers/facematch"
	"github.com/idv-oss/idv/consumers/liveness"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/face/selfie"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/ops"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
)

// stack is the connections a process shares: main database, key store and
// vault, object store. Each part takes only what it uses.
type stack struct {
	db      *sql.DB
	keys    *sql.DB
	vault   *vault.Vault
	objects *objects.Store
	// decodes share decoded captures between the stages this process
	// runs (capture.Decodes).
	decodes *captures.Decodes
	// analyses share selfie frames' faces, landmarks and embeddings
	// between the face match and liveness stages this process runs
	// (selfie.Analyses).
	analyses *selfie.Analyses

	// cscas are the trusted CSCAs of IDV_CSCA_DIR, read once for the
	// stages that verify chip data (cscasOnce).
	cscasOnce sync.Once
	cscas     *chip.TrustStore
	cscasErr  error
}

// openStack connects to everything cfg names; the master key comes parsed
// (from IDV_MASTER_KEY, or in dev from its file).
func openStack(ctx context.Context, cfg config, master vault.MasterKey) (*stack, error) {
	db, err := postgres.OpenApp(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("main database: %w (has `idv migrate` run?)", err)
	}
	keys, err := postgres.Open(ctx, cfg.KeyStoreURL)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("key store: %w", err)
	}
	opts, err := cfg.vaultOptions()
	if err != nil {
		db.Close()
		keys.Close()
		return nil, err
	}
	st := &stack{db: db, keys: keys, vault: vault.New(master, keys, opts...),
		decodes: captures.NewDecodes(captures.DecodesConfig{}), analyses: selfie.NewAnalyses(selfie.AnalysesConfig{})}
	if cfg.S3.Endpoint != "" {
		st.objects, err = objects.New(objects.Config{Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region,
			AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey, Bucket: cfg.S3.Bucket, CAFile: cfg.S3.CAFile})
		if err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}

// openConfigured is openStack with the master key from IDV_MASTER_KEY.
func openConfigured(ctx context.Context, cfg config) (*stack, error) {
	master, err := cfg.masterKey()
	if err != nil {
		return nil, err
	}
	return openStack(ctx, cfg, master)
}

// need is what an administrative command opens (withStack).
type need int

const (
	needMainDB    need = iota // the main database alone: IDV_DATABASE_URL
	needDatabases             // both databases and the vault: requireDatabases
	needServices              // everything a production process uses: requireServices
)

// withStack is the commands' open-database preamble: it checks that cfg
// names what the command needs, opens it (the main database as the
// application role, under row-level security), runs f and closes it.
func withStack(ctx context.Context, cfg config, command string, n need, f func(*stack) error) error {
	var st *stack
	switch n {
	case needMainDB:
		if cfg.DatabaseURL == "" {
			return fmt.Errorf("%s needs IDV_DATABASE_URL (or DATABASE_URL)", command)
		}
		db, err := postgres.OpenApp(ctx, cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("main database: %w (has `idv migrate` run?)", err)
		}
		st = &stack{db: db}
	default:
		require := cfg.requireDatabases
		if n == needServices {
			require = cfg.requireServices
		}
		if err := require(); err != nil {
			return err
		}
		var err error
		if st, err = openConfigured(ctx, cfg); err != nil {
			return err
		}
		if n == needServices {
			if err := requireBucket(ctx, st.objects, cfg.S3); err != nil {
				st.Close()
				return err
			}
		}
	}
	defer st.Close()
	return f(st)
}

// requireBucket refuses to start a part whose bucket is missing or out of
// reach: it would start, and /readyz would say `bucket does not exist`
// until someone noticed. `idv migrate` creates the bucket.
func requireBucket(ctx context.Context, store *objects.Store, cfg s3Config) error {
	if store == nil {
		return nil
	}
	// minio-go retries a store that does not answer for several seconds.
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	err := store.Ping(ctx)
	if errors.Is(err, objects.ErrNoBucket) {
		return fmt.Errorf("S3 bucket %s does not exist at %s: run `idv migrate` with the same IDV_S3_… settings, which creates it", cfg.Bucket, cfg.Endpoint)
	}
	if err != nil {
		return fmt.Errorf("S3 at %s: %w (check IDV_S3_ENDPOINT, IDV_S3_REGION, IDV_S3_ACCESS_KEY, IDV_S3_SECRET_KEY and IDV_S3_CA)", cfg.Endpoint, err)
	}
	return nil
}

func (st *stack) Close() error {
	var err error
	if st.objects != nil {
		st.objects.CloseIdleConnections()
	}
	if st.keys != nil {
		err = st.keys.Close()
	}
	return errors.Join(st.db.Close(), err)
}

// checks are the readiness checks of what the stack holds.
func (st *stack) checks() map[string]ops.Check {
	c := map[string]ops.Check{
		"postgres": func(ctx context.Context) error { return st.db.PingContext(ctx) },
		"keystore": st.vault.Ping,
	}
	if st.objects != nil {
		c["s3"] = st.objects.Ping
	}
	return c
}

// shareAmong keeps the shared decodes and analyses only where the stages
// this process runs, names, can share them: the analyses when both face
// stages run here, the decodes when the document check, the face match
// and the liveness check all do. Otherwise a shared capture would be kept
// for a reader in another process, which never comes here, until the
// hold.
func (st *stack) shareAmong(names []string) {
	has := func(name string) bool { return slices.Contains(names, name) }
	if !has(facematch.Spec.Name) || !has(liveness.Spec.Name) {
		st.analyses = nil
	}
	if st.analyses == nil || !has(doccheck.Spec.Name) {
		st.decodes = nil
	}
}
