// Package notify is the stage that tells a tenant's backend about its
// sessions: on idv.session.decided it POSTs a session.decided webhook, on
// idv.session.deleted a session.deleted webhook whose href is the signed
// deletion receipt; the processor's notices (subprocessor.announced,
// breach.notified, dsr.received) travel the same way (notice.go), as do
// the periodic audit checkpoints (audit.checkpoint, checkpoint.go). All are
// signed following the Standard Webhooks convention (the contract is
// idv.Sign, idv.Verify and schemas.WebhookPayload), and every attempt is
// recorded, with ids and codes only, in webhook_deliveries.
//
// An event is a pointer, not a payload (docs/design.md invariant 8): the
// stage takes from it only its type, its tenant and the ids of what it is
// about, and reads everything the webhook says — the decision, the receipt,
// the notice's texts, the signed checkpoint — from PostgreSQL in that tenant's scope (Records). An
// event the database does not confirm (a session without a decision, one
// not wiped, a notice never sent, another tenant's session) sends nothing:
// it is terminated, logged with its ids and counted by reason. Anyone who
// can publish to the broker can make the stage repeat what the database
// holds, never make IDV sign something it does not.
//
// Delivery is at least once, effects once: the webhook-id is derived from the
// event's message id as the core builds it from those ids, so it is the same
// on every retry and receivers can drop duplicates by it; a webhook recorded
// as delivered is not sent again. A 2xx answer delivers; 410 Gone disables
// the endpoint for good; a refusal by the address rules (below) ends the
// delivery; anything else is retried by the consume loop with backoff for
// about three days (the consumer's MaxDeliver and backoff). Redirects are not
// followed.
//
// Address policy: before each delivery the stored URL is checked again by
// idv.CheckWebhookURL (error code url_not_allowed: a URL stored under an
// older rule, or a number that some resolver would read as an address), and
// unless Config.AllowPrivate the client refuses at connect time, after DNS
// resolution, any loopback, private, link-local, CGNAT, multicast,
// unspecified or reserved address, including their IPv4-mapped and other
// IPv6 embeddings (address_not_allowed). Either refusal ends the delivery at
// once (Permanent) rather than retrying it for three days like a failure:
// the answer would be the same each time, and three days of refused
// attempts tell the tenant nothing. Instead the attempt is recorded as
// outcome 'refused', the tenant's endpoint shows the refusal (GET
// /v1/webhook: last_refused_at, last_refusal), its audit log names the
// webhook it will not get (webhook_delivery_refused), and the refusal is
// counted by code. No packet ever leaves for a refused address.
package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
)

// Delivery outcomes as recorded and counted.
const (
	outcomeDelivered = idv.DeliveryDelivered
	outcomeFailed    = idv.DeliveryFailed
	outcomeRefused   = idv.DeliveryRefused
	outcomeDisabled  = idv.DeliveryDisabled
)

// UserAgent is sent with every webhook.
const UserAgent = "IDV-Webhooks/1"

// DefaultTimeout bounds one delivery attempt, connect to last byte of the
// answer's headers.
const DefaultTimeout = 10 * time.Second

// Config is how the notifier behaves.
type Config struct {
	// APIBaseURL is the public base of the customer API, e.g.
	// https://idv.example.com; a session.decided webhook's href is
	// <APIBaseURL>/v1/sessions/<id>, a session.deleted webhook's
	// <APIBaseURL>/v1/deletion-receipts/<receipt id>. Empty gives a
	// path-only href.
	APIBaseURL string
	// Timeout bounds one attempt; 0 means DefaultTimeout.
	Timeout time.Duration
	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses. For development and tests only: in production it would let
	// a tenant's URL reach into IDV's own network.
	AllowPrivate bool
}

// Store holds delivery attempts and the tenants' webhook settings
// (postgres.Deliveries).
type Store interface {
	// Plan is whether the tenant's webhook webhookID was delivered, the
	// tenant's webhook target and its retiring secrets at now, read at
	// once (ErrNotFound: no such tenant).
	Plan(ctx context.Context, tenantID uuid.UUID, webhookID string, now time.Time) (idv.DeliveryPlan, error)
	RecordAttempt(ctx context.Context, a idv.DeliveryAttempt) error
	// RefuseDelivery records a refused attempt (outcome refused, an
	// idv.Refusal… code) with the endpoint's last refusal and the tenant's
	// audit entry, at once.
	RefuseDelivery(ctx context.Context, a idv.DeliveryAttempt, at time.Time) error
	DisableWebhook(ctx context.Context, tenantID uuid.UUID) error
}

// Records reads what each webhook says from PostgreSQL, in the scope of the
// event's tenant (postgres.Notices). ErrNotFound: the tenant has no such
// session, notice, announcement, request or checkpoint.
type Records interface {
	// Decision is the session's decision, its time and the attempt it
	// decided; Decision empty while undecided.
	Decision(ctx context.Context, tenantID, sessionID uuid.UUID) (idv.Decided, error)
	// Deletion is the session's deletion receipt and when it was wiped;
	// uuid.Nil while it is not.
	Deletion(ctx context.Context, tenantID, sessionID uuid.UUID) (receiptID uuid.UUID, deletedAt time.Time, err error)
	// BreachNotice is the breach as registered and what it touched of the
	// tenant, with the round the tenant was last notified in.
	BreachNotice(ctx context.Context, tenantID, breachID uuid.UUID) (idv.Breach, idv.Affected, error)
	// Announcement is the effective date (YYYY-MM-DD) and time of the
	// sub-processor's announcement to the tenant.
	Announcement(ctx context.Context, tenantID uuid.UUID, subprocessorID string) (effectiveDate string, announcedAt time.Time, err error)
	// DSR is the tenant's data-subject request.
	DSR(ctx context.Context, tenantID, dsrID uuid.UUID) (idv.DSR, error)
	// Checkpoint is the tenant's periodic audit checkpoint as signed.
	Checkpoint(ctx context.Context, tenantID, checkpointID uuid.UUID) (idv.StoredCheckpoint, error)
}

// SecretOpener opens a tenant's sealed webhook secret (vault.Vault).
type SecretOpener interface {
	OpenSecret(tenantID uuid.UUID, purpose string, sealed []byte) ([]byte, error)
}

// Deps are what the notifier uses.
type Deps struct {
	Deliveries Store
	Records    Records // required: every webhook is read from it
	Secrets    SecretOpener
	Metrics    *Metrics     // nil: counted but not exported
	Log        *slog.Logger // nil: discarded
	// Fields opens the fields of a full session.decided webhook; nil
	// sends every webhook thin.
	Fields FieldOpener
	// Resolver looks up endpoints' names; nil: net.DefaultResolver.
	Resolver Resolver
	// Reads reads the webhook's record and its delivery plan in one
	// transaction (postgres.Reads); nil: one each.
	Reads idv.Reads
}

// Stage is the notify stage. It is safe for concurrent use.
type Stage struct {
	store   Store
	records Records
	secrets SecretOpener
	metrics *Metrics
	log     *slog.Logger
	fields  FieldOpener
	reads   idv.Reads
	client  *http.Client
	baseURL string
	// allowPrivate is Config.AllowPrivate: the rule the URL is checked
	// against before each delivery, as at registration.
	allowPrivate bool
}

// New returns the notify stage.
func New(deps Deps, cfg Config) *Stage {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	var resolver Resolver = net.DefaultResolver
	if deps.Resolver != nil {
		resolver = deps.Resolver
	}
	n := &Stage{store: deps.Deliveries, records: deps.Records, secrets: deps.Secrets, metrics: deps.Metrics, log: deps.Log, fields: deps.Fields,
		reads:  deps.Reads,
		client: newClient(cfg.Timeout, cfg.AllowPrivate, resolver), baseURL: strings.TrimRight(cfg.APIBaseURL, "/"),
		allowPrivate: cfg.AllowPrivate}
	if n.metrics == nil {
		n.metrics = NewMetrics(nil)
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	return n
}

// WebhookID is the webhook-id of the webhook announcing the event with that
// message id: the same on every retry and every redelivery of the event, and
// opaque (it reveals nothing but that two deliveries are one).
func WebhookID(msgID string) string {
	sum := sha256.Sum256([]byte(msgID))
	return "msg_" + hex.EncodeToString(sum[:])[:24]
}

// Handle delivers the webhook announcing the event, as the database holds
// it. nil: delivered (now or before); Permanent: the event is malformed,
// the database does not confirm it (ErrUnconfirmed: nothing is sent), the
// endpoint is disabled, or the address rules refuse it (ErrURLNotAllowed,
// ErrAddressNotAllowed); any other error: try again later.
func (n *Stage) Handle(ctx context.Context, ev stage.Event) error {
	p, err := decode(ev)
	if err != nil {
		return stage.Permanent(err)
	}
	// The webhook-id comes from the ids the event names, rebuilt as the
	// core builds the event's message id, never from the Nats-Msg-Id
	// header: a copy of an event under another header is the same webhook.
	webhookID := WebhookID(p.msgID)
	w, plan, err := n.readPlan(ctx, p, webhookID)
	var r *refusal
	if errors.As(err, &r) {
		n.refuse(p, webhookID, r.reason)
		return stage.Permanent(fmt.Errorf("notify: %s: %w", webhookID, err))
	}
	if errors.Is(err, errNoTenant) {
		return stage.Permanent(n.fail(fmt.Errorf("notify: %s: %w", webhookID, err)))
	}
	if err != nil {
		return n.fail(fmt.Errorf("notify: %s: %w", webhookID, err))
	}
	a := idv.DeliveryAttempt{TenantID: p.tenant, SessionID: w.session, WebhookID: webhookID,
		EventType: w.payload.Type, Attempt: int(min(max(ev.NumDelivered, 1), 1<<30))}
	log := n.log.With("webhook_id", a.WebhookID, "tenant_id", p.tenant, "session_id", w.session, "attempt", a.Attempt)
	if plan.Delivered {
		n.count(outcomeSkipped)
		log.Debug("webhook already delivered")
		return nil
	}
	target := plan.Target
	if target.Disabled() {
		a.Outcome, a.ErrorCode = outcomeDisabled, "endpoint_disabled"
		if err := n.record(ctx, a); err != nil {
			return err
		}
		log.Info("webhook endpoint disabled; not sent")
		return stage.Permanent(fmt.Errorf("notify: %s: %w", a.WebhookID, ErrEndpointDisabled))
	}
	if err := idv.CheckWebhookURL(target.URL, n.allowPrivate); err != nil {
		// The URL as registration would refuse it now: nothing is sent,
		// and no retry would change that.
		a.Outcome, a.ErrorCode = outcomeRefused, idv.RefusalURLNotAllowed
		return n.refuseDelivery(ctx, a, log, ErrURLNotAllowed)
	}
	secrets, err := n.openSecrets(p.tenant, target.SecretSealed, plan.Retiring)
	if err != nil {
		// A vault that cannot open the secret is the operator's to fix
		// (wrong IDV_MASTER_KEY); retrying keeps the event until then.
		return n.fail(fmt.Errorf("notify: %s: webhook secret: %w", a.WebhookID, err))
	}
	payload := w.payload
	payload.Data.Href = n.baseURL + payload.Data.Href
	if p.eventType == schemas.TypeSessionDecided && target.Policy.Payload() == schemas.WebhookFull && n.fields != nil {
		// The tenant opted in to the fields: read them for this attempt
		// only, and on record, as a GET of the session would.
		if payload.Data.Fields, err = n.fields.OpenFields(ctx, p.tenant, w.session, target.Policy.Fields, a.WebhookID); err != nil {
			return n.fail(fmt.Errorf("notify: %s: %w", a.WebhookID, err))
		}
	}
	if payload.Data.ObjectionHref != "" {
		payload.Data.ObjectionHref = n.baseURL + payload.Data.ObjectionHref
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return n.fail(fmt.Errorf("notify: %s: encode payload: %w", a.WebhookID, err))
	}

	res := n.post(ctx, target.URL, a.WebhookID, secrets, body)
	if res.canceled {
		// Shutting down: not the endpoint's doing, so not an attempt.
		return fmt.Errorf("notify: %s: %w", a.WebhookID, ctx.Err())
	}
	n.metrics.duration.Observe(res.duration.Seconds())
	a.StatusCode, a.ErrorCode, a.Duration = res.status, res.code, res.duration
	log = log.With("status", res.status, "error_code", res.code)

	switch {
	case res.status >= 200 && res.status < 300:
		a.Outcome = outcomeDelivered
		if err := n.record(ctx, a); err != nil {
			// Sent but not recorded: the retry sends again with the same
			// webhook-id, which the receiver drops as a duplicate.
			return err
		}
		log.Info("webhook delivered")
		return nil
	case res.status == http.StatusGone:
		if err := n.store.DisableWebhook(ctx, p.tenant); err != nil {
			return n.fail(fmt.Errorf("notify: %s: %w", a.WebhookID, err))
		}
		a.Outcome, a.ErrorCode = outcomeDisabled, "endpoint_gone"
		if err := n.record(ctx, a); err != nil {
			return err
		}
		log.Warn("webhook endpoint answered 410 Gone; disabled")
		return stage.Permanent(fmt.Errorf("notify: %s: endpoint answered 410: %w", a.WebhookID, ErrEndpointDisabled))
	case res.code == codeAddressNotAllowed:
		a.Outcome = outcomeRefused
		return n.refuseDelivery(ctx, a, log, ErrAddressNotAllowed)
	default:
		a.Outcome = outcomeFailed
		if err := n.record(ctx, a); err != nil {
			return err
		}
		log.Info("webhook delivery failed; will retry")
		return fmt.Errorf("notify: %s attempt %d: %w (status %d, %s)", a.WebhookID, a.Attempt, ErrDeliveryFailed, res.status, res.code)
	}
}

// errNoTenant: the delivery plan found no tenant (wraps idv.ErrNotFound).
var errNoTenant = errors.New("no such tenant")

// readPlan reads what the webhook says (n.read: a *refusal when the
// database does not confirm the event) and the delivery's plan, in one
// transaction when the stage has Reads.
func (n *Stage) readPlan(ctx context.Context, p pointer, webhookID string) (w webhook, plan idv.DeliveryPlan, err error) {
	err = idv.ReadTogether(ctx, n.reads, p.tenant, func(ctx context.Context) error {
		if w, err = n.read(ctx, p); err != nil {
			return err
		}
		plan, err = n.store.Plan(ctx, p.tenant, webhookID, time.Now())
		if errors.Is(err, idv.ErrNotFound) {
			return fmt.Errorf("%w: %w", errNoTenant, err)
		}
		return err
	})
	return w, plan, err
}

// record stores the attempt and counts its outcome.
func (n *Stage) record(ctx context.Context, a idv.DeliveryAttempt) error {
	if err := n.store.RecordAttempt(ctx, a); err != nil {
		return n.fail(fmt.Errorf("notify: %w", err))
	}
	n.count(a.Outcome)
	return nil
}

// refuseDelivery ends a delivery the address rules refuse: the attempt is
// recorded (with the endpoint's last refusal and the tenant's audit entry),
// counted by its code, and the event terminated (Permanent, wrapping
// reason). A refusal that cannot be recorded is retried like any store
// error, so that it is on record before the event ends.
func (n *Stage) refuseDelivery(ctx context.Context, a idv.DeliveryAttempt, log *slog.Logger, reason error) error {
	if err := n.store.RefuseDelivery(ctx, a, time.Now()); err != nil {
		return n.fail(fmt.Errorf("notify: %w", err))
	}
	n.count(a.Outcome)
	n.metrics.refusals.WithLabelValues(a.ErrorCode).Inc()
	log.Warn("webhook delivery refused by the address rules; not retried", "error_code", a.ErrorCode)
	return stage.Permanent(fmt.Errorf("notify: %s attempt %d: %w", a.WebhookID, a.Attempt, reason))
}

// fail counts an error that prevented an attempt or its record.
func (n *Stage) fail(err error) error {
	n.count(outcomeError)
	return err
}

func (n *Stage) count(outcome string) {
	n.metrics.deliveries.WithLabelValues(outcome).Inc()
}

// Error codes recorded for attempts without a 2xx answer. Fixed strings:
// never the URL, the endpoint's answer or an error's text.
const (
	codeAddressNotAllowed = idv.RefusalAddressNotAllowed
	codeInvalidURL        = "invalid_url"
	codeRedirect          = "redirect_not_followed"
	codeStatus            = "unexpected_status"
	codeTimeout           = "timeout"
	codeDNS               = "dns_error"
	codeConnRefused       = "connection_refused"
	codeConnReset         = "connection_reset"
	codeTLS               = "tls_error"
	codeConnection        = "connection_error"
)

// result is what one POST came to.
type result struct {
	status   int    // 0: no answer
	code     string // why not 2xx; "" for 2xx
	duration time.Duration
	canceled bool // ctx ended: the attempt does not count
}

// post sends one signed delivery. The endpoint's answer is read (a little of
// it, so the connection can be reused) and dropped, never stored.
func (n *Stage) post(ctx context.Context, url, webhookID string, secrets [][]byte, body []byte) result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil || (req.URL.Scheme != "https" && req.URL.Scheme != "http") || req.URL.Host == "" {
		return result{code: codeInvalidURL}
	}
	now := time.Now()
	req.Header.Set(schemas.HeaderWebhookID, webhookID)
	req.Header.Set(schemas.HeaderWebhookTimestamp, fmt.Sprint(now.Unix()))
	sigs := make([]string, len(secrets))
	for i, secret := range secrets {
		sigs[i] = idv.Sign(secret, webhookID, now, body)
	}
	// Space-separated, as Standard Webhooks allows: a receiver still on
	// the rotated-out secret verifies by its entry, one on the new by its.
	req.Header.Set(schemas.HeaderWebhookSignature, strings.Join(sigs, " "))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)

	resp, err := n.client.Do(req)
	res := result{duration: time.Since(now)}
	if err != nil {
		if ctx.Err() != nil {
			return result{canceled: true}
		}
		res.code = errorCode(err)
		return res
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	res.status = resp.StatusCode
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.code = codeRedirect
	default:
		res.code = codeStatus
	}
	return res
}

// errorCode classifies a transport error into a fixed code.
func errorCode(err error) string {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		unkAuth x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
	)
	switch {
	case errors.Is(err, ErrAddressNotAllowed):
		return codeAddressNotAllowed
	case errors.As(err, &dnsErr):
		return codeDNS
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return codeTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return codeConnRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return codeConnReset
	case errors.As(err, &certErr), errors.As(err, &unkAuth), errors.As(err, &hostErr), errors.As(err, &invErr),
		errors.As(err, &recErr), errors.As(err, &alert):
		return codeTLS
	default:
		return codeConnection
	}
}

// Spec describes the stage to the broker and the consume loop, beside
// its handler.
var Spec = idv.Stage{
	Name: "notify",
	// The session events, the tenant notices (a subprocessor change, a
	// breach), data subjects' requests and the periodic audit checkpoints
	// all become webhooks, with the same delivery rules.
	Consumes: []string{schemas.TypeSessionDecided, schemas.TypeSessionDeleted,
		schemas.TypeSubprocessorAnnounced, schemas.TypeBreachNotified, schemas.TypeDSRReceived,
		schemas.TypeAuditCheckpoint},
	// 21 deliveries, for about three days of webhook retries as the
	// Standard Webhooks convention expects: delays after deliveries 1–9 of
	// 1, 2, 4, …, 256 minutes (8.5 h in all), then eleven of 6 h, 74.5 h
	// nominal; jitter takes up to a fifth off each delay, so the last
	// attempt falls 60–74.5 h (2.5–3.1 days) after the first.
	// IDV_WEBHOOK_RETRY_BASE replaces Backoff.Base (tests shorten it).
	Retry: idv.Retry{MaxDeliver: 21, Backoff: idv.Backoff{Base: time.Minute, Max: 6 * time.Hour}},
	// The stage mostly waits on webhook targets.
	Concurrency: 16,
	// Messages waiting out a delay count against MaxAckPending, so it is
	// high: with 64, one customer's dead endpoint would hold back every
	// tenant's webhooks.
	MaxAckPending: 4096,
}

// openSecrets opens the tenant's current webhook secret and, after it, the
// rotated-out ones whose overlap is still running (retiring, sealed):
// each delivery is signed with all of them. A retiring secret the vault
// cannot open fails the attempt as the current one would.
func (n *Stage) openSecrets(tenantID uuid.UUID, current []byte, retiring [][]byte) ([][]byte, error) {
	out := make([][]byte, 0, 1+len(retiring))
	for _, sealed := range append([][]byte{current}, retiring...) {
		secret, err := n.secrets.OpenSecret(tenantID, schemas.WebhookSecretPurpose, sealed)
		if err != nil {
			return nil, err
		}
		out = append(out, secret)
	}
	return out, nil
}
