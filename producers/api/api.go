// Package api is IDV's HTTP API: the customer routes (tenant API key) that
// create and read sessions, and the app routes (one session's app token)
// that hand out the session key and pre-signed upload policies and take the
// submission. The contract is schemas/openapi.yaml.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/seal"
)

// Tenants reads tenants and their API keys, and changes the keys.
type Tenants interface {
	Get(ctx context.Context, id uuid.UUID) (idv.Tenant, error)
	// KeyAndTenant reads an API key and its tenant at once (the zero
	// Tenant for a key that is Offboarding).
	KeyAndTenant(ctx context.Context, keyID string) (idv.APIKey, idv.Tenant, error)
	idv.APIKeyStore
	Webhooks
}

// Sessions stores sessions, their keys and captures.
type Sessions interface {
	Create(ctx context.Context, s idv.Session, k idv.WrappedKey) error
	Get(ctx context.Context, tenantID, id uuid.UUID) (idv.Session, error)
	GetForApp(ctx context.Context, id uuid.UUID) (idv.Session, error)
	Key(ctx context.Context, tenantID, id uuid.UUID) (idv.WrappedKey, error)
	Captures(ctx context.Context, tenantID, id uuid.UUID) ([]idv.Capture, error)
	DeclareCaptures(ctx context.Context, tenantID, id uuid.UUID, cs []idv.Capture) error
	Handoffs
	idv.Submitter
	idv.SubmissionStore
	idv.ChallengeIssuer
	idv.WipeRequester
}

// Results reads check results.
type Results interface {
	List(ctx context.Context, tenantID, sessionID uuid.UUID) ([]idv.Result, error)
}

// Audit records and exports the audit log and reads its head, which
// checkpoints sign.
type Audit interface {
	Record(ctx context.Context, e idv.AuditEntry) error
	List(ctx context.Context, tenantID uuid.UUID, after int64, limit int) ([]idv.AuditEvent, error)
	idv.AuditHeads
}

// Objects is the capture storage; Get reads the sealed redacted copy.
type Objects interface {
	PresignPost(ctx context.Context, key string, minSize, maxSize int64, ttl time.Duration) (idv.PostPolicy, error)
	Stat(ctx context.Context, key string) (idv.ObjectInfo, error)
	Get(ctx context.Context, key string, maxSize int64) ([]byte, error)
}

// Config tunes the API.
type Config struct {
	AppTokenTTL time.Duration // how long an app token works; capped by the session's expiry
	UploadTTL   time.Duration // how long an upload policy works
	PublicURL   string        // the API's public base; when set, new sessions carry their capture page link
	// AllowPrivateWebhooks lets a tenant point its webhook at plain http and
	// inward addresses: development only (IDV_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivateWebhooks bool
	Now                  func() time.Time // the clock; time.Now when nil
	// TenantRate and TenantBurst limit each tenant's API-key requests,
	// AppRate and AppBurst each app token's (per second, at once);
	// MaxInFlight bounds the requests worked on at once. Zero means the
	// Default… constant.
	TenantRate, TenantBurst, AppRate, AppBurst float64
	MaxInFlight                                int
}

// Server serves the API.
type Server struct {
	tenants  Tenants
	sessions Sessions
	results  Results
	receipts Receipts
	audit    Audit
	keys     Vault
	objects  Objects
	duties   Duties
	reads    idv.Reads
	changes  idv.Changes
	log      *slog.Logger
	metrics  *Metrics
	cfg      Config

	receiptKey ReceiptKey

	tenantLimit, appLimit *limiter
}

// Stores are the API's stores.
type Stores struct {
	Tenants  Tenants
	Sessions Sessions
	Results  Results
	Receipts Receipts
	Audit    Audit
	Duties   Duties
	// Reads groups a request's reads of one tenant into one transaction
	// (postgres.Reads); nil: each read on its own.
	Reads idv.Reads
	// Changes groups a request's change of one tenant and its reads into
	// one transaction (postgres.Reads); nil: each call on its own.
	Changes idv.Changes
}

// Vault is what the API asks of the key vault.
type Vault interface {
	idv.KeyMaker
	ReceiptKey
	SecretSealer
	Unwrap(ctx context.Context, k idv.WrappedKey) (*seal.SessionKey, error)
	Signer
}

// Signer signs with a purpose's signing key and lists the keys that verify
// each purpose's signatures (vault.Vault).
type Signer interface {
	Sign(ctx context.Context, purpose string, message []byte) (sig []byte, keyID string, err error)
	VerifyKeys(ctx context.Context, purpose string) ([]idv.VerifyKey, error)
}

// New returns a Server over its parts; metrics may be nil.
func New(stores Stores, v Vault, objs Objects, log *slog.Logger, metrics *Metrics, cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AppTokenTTL == 0 {
		cfg.AppTokenTTL = time.Hour
	}
	if cfg.UploadTTL == 0 {
		cfg.UploadTTL = 15 * time.Minute
	}
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.TenantRate, DefaultTenantRate)
	def(&cfg.TenantBurst, DefaultTenantBurst)
	def(&cfg.AppRate, DefaultAppRate)
	def(&cfg.AppBurst, DefaultAppBurst)
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	return &Server{tenants: stores.Tenants, sessions: stores.Sessions, results: stores.Results, receipts: stores.Receipts,
		audit: stores.Audit, duties: stores.Duties, reads: stores.Reads, changes: stores.Changes, keys: v, receiptKey: v, objects: objs, log: log, metrics: metrics, cfg: cfg,
		tenantLimit: newLimiter(cfg.TenantRate, cfg.TenantBurst, cfg.Now),
		appLimit:    newLimiter(cfg.AppRate, cfg.AppBurst, cfg.Now)}
}

// Handler routes the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/sessions", s.customer(s.createSession))
	mux.Handle("GET /v1/sessions/{id}", s.customer(s.getSession))
	mux.Handle("DELETE /v1/sessions/{id}", s.customer(s.eraseSession))
	mux.Handle("GET /v1/sessions/{id}/redacted-copy", s.customer(s.getRedactedCopy))
	mux.Handle("GET /v1/deletion-receipts/{id}", s.customer(s.getReceipt))
	mux.Handle("GET /v1/audit-events", s.customer(s.listAuditEvents))
	mux.Handle("GET /v1/receipt-signing-key", s.handle(s.getReceiptKey))
	mux.Handle("GET /v1/signing-keys", s.handle(s.getSigningKeys))
	mux.Handle("POST /v1/app/session/decline", s.app(s.decline))
	mux.Handle("GET /v1/app/session", s.app(s.getAppSession))
	mux.Handle("POST /v1/app/session/uploads", s.app(s.createUploads))
	mux.Handle("POST /v1/app/session/challenge", s.app(s.issueChallenge))
	mux.Handle("POST /v1/app/session/submit", s.app(s.submit))
	mux.Handle("POST /v1/app/session/handoff", s.app(s.createHandoff))
	mux.Handle("POST /v1/handoff", s.handle(s.redeemHandoff))
	mux.Handle("GET /h/{code}", s.handle(s.handoffLink))
	s.dutyRoutes(mux)
	s.apiKeyRoutes(mux)
	s.webhookRoutes(mux)
	mux.Handle("PUT /v1/branding/logo", s.customer(s.putLogo))
	mux.Handle("DELETE /v1/branding/logo", s.customer(s.deleteLogo))
	mux.Handle("GET /capture/", s.capturePage())
	mux.Handle("/", s.handle(func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
	return s.recoverer(s.metrics.instrument(s.bounded(s.cfg.MaxInFlight, mux)))
}

// handle adapts a handler that returns an error; every route it serves
// takes a body of at most maxBody bytes, refused before authentication.
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return s.limitBody(maxBody, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	}))
}

// pathID is the path's {id}: one that is not a UUID names nothing, so it
// is answered as an unknown one is, 404 not_found.
func pathID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, errNotFound
	}
	return id, nil
}

// byPathID reads, with get, what the path's {id} names among the caller's
// tenant's: 404 not_found when the id is no UUID or names nothing of the
// tenant's.
func byPathID[T any](r *http.Request, get func(ctx context.Context, tenantID, id uuid.UUID) (T, error)) (T, error) {
	id, err := pathID(r)
	if err != nil {
		var none T
		return none, err
	}
	v, err := get(r.Context(), tenantOf(r), id)
	return v, notFound(err)
}

// recoverer turns a panic in a handler into a 500 with the JSON error body.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				s.log.ErrorContext(r.Context(), "handler panicked", "route", r.Pattern, "panic", v)
				writeError(w, r, s.log, apiErr(http.StatusInternalServerError, "internal", "IDV failed to handle the request"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }
