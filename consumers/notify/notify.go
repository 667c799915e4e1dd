// Package notify is the stage that tells a tenant's backend about its
// sessions: on idv.session.decided it POSTs a session.decided webhook, on
// idv.session.deleted a session.deleted webhook whose href is the signed
// deletion receipt. Both are thin and signed following the Standard Webhooks
// convention (the contract is idv.Sign, idv.Verify and
// schemas.WebhookPayload), and every attempt is recorded, with ids and codes
// only, in webhook_deliveries.
//
// Delivery is at least once, effects once: the webhook-id is derived from the
// event's message id, so it is the same on every retry and receivers can drop
// duplicates by it; a webhook recorded as delivered is not sent again. A 2xx
// answer delivers; 410 Gone disables the endpoint for good; anything else is
// retried by the consume loop with backoff for about three days (the
// consumer's MaxDeliver and backoff). Redirects are not followed.
//
// Address policy: unless Config.AllowPrivate, the client refuses at connect
// time, after DNS resolution, any loopback, private, link-local, CGNAT,
// multicast, unspecified or reserved address, including their IPv4-mapped and
// other IPv6 embeddings. Such a refusal is recorded as outcome 'refused'
// (error code address_not_allowed) and retried like any failed attempt rather
// than terminated: the URL was valid when the tenant registered it, the usual
// cause is DNS that the tenant can fix, and the retry window gives them three
// days to do so without losing the event. Retrying costs nothing risky: no
// packet ever leaves for the refused address, and the retries are bounded by
// MaxDeliver like every other failure.
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
	Delivered(ctx context.Context, tenantID uuid.UUID, webhookID string) (bool, error)
	WebhookTarget(ctx context.Context, tenantID uuid.UUID) (idv.WebhookTarget, error)
	RecordAttempt(ctx context.Context, a idv.DeliveryAttempt) error
	DisableWebhook(ctx context.Context, tenantID uuid.UUID) error
}

// SecretOpener opens a tenant's sealed webhook secret (vault.Vault).
type SecretOpener interface {
	OpenSecret(tenantID uuid.UUID, purpose string, sealed []byte) ([]byte, error)
}

// Deps are what the notifier uses.
type Deps struct {
	Deliveries Store
	Secrets    SecretOpener
	Metrics    *Metrics     // nil: counted but not exported
	Log        *slog.Logger // nil: discarded
	// Fields opens the fields of a full session.decided webhook; nil
	// sends every webhook thin.
	Fields FieldOpener
}

// Stage is the notify stage. It is safe for concurrent use.
type Stage struct {
	store   Store
	secrets SecretOpener
	metrics *Metrics
	log     *slog.Logger
	fields  FieldOpener
	client  *http.Client
	baseURL string
}

// New returns the notify stage.
func New(deps Deps, cfg Config) *Stage {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	n := &Stage{store: deps.Deliveries, secrets: deps.Secrets, metrics: deps.Metrics, log: deps.Log, fields: deps.Fields,
		client: newClient(cfg.Timeout, cfg.AllowPrivate), baseURL: strings.TrimRight(cfg.APIBaseURL, "/")}
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

// Handle delivers the webhook announcing a decided or a deleted session.
// nil: delivered (now or before); Permanent: the event is malformed or the
// endpoint is disabled; any other error: try again later.
func (n *Stage) Handle(ctx context.Context, ev stage.Event) error {
	d, err := decode(ev)
	if err != nil {
		return stage.Permanent(err)
	}
	msgID := ev.MsgID
	if msgID == "" {
		// The message id of the one decided (or deleted) event of a
		// session is defined by its type and session, so it can be
		// rebuilt; a tenant notice's by its type and the ids it names.
		msgID = d.msgID
	}
	a := idv.DeliveryAttempt{TenantID: d.tenant, SessionID: d.session, WebhookID: WebhookID(msgID),
		EventType: d.payload.Type, Attempt: int(min(max(ev.NumDelivered, 1), 1<<30))}
	log := n.log.With("webhook_id", a.WebhookID, "tenant_id", d.tenant, "session_id", d.session, "attempt", a.Attempt)

	done, err := n.store.Delivered(ctx, d.tenant, a.WebhookID)
	if err != nil {
		return n.fail(fmt.Errorf("notify: %s: %w", a.WebhookID, err))
	}
	if done {
		n.count(outcomeSkipped)
		log.Debug("webhook already delivered")
		return nil
	}
	target, err := n.store.WebhookTarget(ctx, d.tenant)
	if errors.Is(err, idv.ErrNotFound) {
		return stage.Permanent(n.fail(fmt.Errorf("notify: %s: %w", a.WebhookID, err)))
	}
	if err != nil {
		return n.fail(fmt.Errorf("notify: %s: %w", a.WebhookID, err))
	}
	if target.Disabled() {
		a.Outcome, a.ErrorCode = outcomeDisabled, "endpoint_disabled"
		if err := n.record(ctx, a); err != nil {
			return err
		}
		log.Info("webhook endpoint disabled; not sent")
		return stage.Permanent(fmt.Errorf("notify: %s: %w", a.WebhookID, ErrEndpointDisabled))
	}
	secret, err := n.secrets.OpenSecret(d.tenant, schemas.WebhookSecretPurpose, target.SecretSealed)
	if err != nil {
		// A vault that cannot open the secret is the operator's to fix
		// (wrong IDV_MASTER_KEY); retrying keeps the event until then.
		return n.fail(fmt.Errorf("notify: %s: webhook secret: %w", a.WebhookID, err))
	}
	p := d.payload
	p.Data.Href = n.baseURL + p.Data.Href
	if d.eventType == schemas.TypeSessionDecided && target.Policy.Payload() == schemas.WebhookFull && n.fields != nil {
		// The tenant opted in to the fields: read them for this attempt
		// only, and on record, as a GET of the session would.
		if p.Data.Fields, err = n.fields.OpenFields(ctx, d.tenant, d.session, target.Policy.Fields, a.WebhookID); err != nil {
			return n.fail(fmt.Errorf("notify: %s: %w", a.WebhookID, err))
		}
	}
	if p.Data.ObjectionHref != "" {
		p.Data.ObjectionHref = n.baseURL + p.Data.ObjectionHref
	}
	body, err := json.Marshal(p)
	if err != nil {
		return n.fail(fmt.Errorf("notify: %s: encode payload: %w", a.WebhookID, err))
	}

	res := n.post(ctx, target.URL, a.WebhookID, secret, body)
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
		if err := n.store.DisableWebhook(ctx, d.tenant); err != nil {
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
		if err := n.record(ctx, a); err != nil {
			return err
		}
		log.Warn("webhook endpoint resolves to an address not allowed; will retry")
		return fmt.Errorf("notify: %s attempt %d: %w", a.WebhookID, a.Attempt, ErrAddressNotAllowed)
	default:
		a.Outcome = outcomeFailed
		if err := n.record(ctx, a); err != nil {
			return err
		}
		log.Info("webhook delivery failed; will retry")
		return fmt.Errorf("notify: %s attempt %d: %w (status %d, %s)", a.WebhookID, a.Attempt, ErrDeliveryFailed, res.status, res.code)
	}
}

// record stores the attempt and counts its outcome.
func (n *Stage) record(ctx context.Context, a idv.DeliveryAttempt) error {
	if err := n.store.RecordAttempt(ctx, a); err != nil {
		return n.fail(fmt.Errorf("notify: %w", err))
	}
	n.count(a.Outcome)
	return nil
}

// fail counts an error that prevented an attempt or its record.
func (n *Stage) fail(err error) error {
	n.count(outcomeError)
	return err
}

func (n *Stage) count(outcome string) {
	n.metrics.deliveries.WithLabelValues(outcome).Inc()
}

// event is a decoded, validated event and the webhook payload announcing
// it, its href still relative to the API's base URL.
type event struct {
	eventType       string    // schemas.Type… of the event
	session, tenant uuid.UUID // session is uuid.Nil for a tenant notice
	msgID           string    // the event's message id, rebuilt from its ids
	payload         schemas.WebhookPayload
}

var decisions = map[string]bool{
	schemas.DecisionApproved: true, schemas.DecisionDeclined: true, schemas.DecisionReview: true,
	schemas.DecisionResubmissionRequested: true, schemas.DecisionExpired: true, schemas.DecisionDeclinedByUser: true,
}

var wipeReasons = map[string]bool{
	schemas.WipeExpired: true, schemas.WipeCustomerRequest: true, schemas.WipeDeclinedByUser: true,
}

// decoders read each event type the stage consumes (Spec.Consumes) into
// its webhook.
var decoders = map[string]func(stage.Event) (event, error){
	schemas.TypeSessionDecided:        decodeDecided,
	schemas.TypeSessionDeleted:        decodeDeleted,
	schemas.TypeSubprocessorAnnounced: decodeAnnounced,
	schemas.TypeBreachNotified:        decodeBreach,
	schemas.TypeDSRReceived:           decodeDSR,
}

func decode(ev stage.Event) (event, error) {
	typ := ev.Type
	if typ == "" {
		// No ce-type header: the subject says it.
		for _, t := range Spec.Consumes {
			if strings.HasPrefix(ev.Subject, t+".") {
				typ = t
			}
		}
	}
	if d, ok := decoders[typ]; ok {
		return d(ev)
	}
	n := len(Spec.Consumes)
	return event{}, fmt.Errorf("%w: type %q, want %s or %s", ErrMalformedEvent, ev.Type,
		strings.Join(Spec.Consumes[:n-1], ", "), Spec.Consumes[n-1])
}

// webhook is what a decoder makes of an event's body: when it happened,
// the ids that with the event type make its message id, and the webhook's
// data beyond the session and tenant ids.
type webhook struct {
	at   time.Time
	key  []string
	data schemas.WebhookData
}

// decodeAs decodes ev as an event of eventType with body B and builds its
// webhook of webhookType with build, whose error says what is wrong with
// the body.
func decodeAs[B any](ev stage.Event, eventType, webhookType string, build func(idv.Received[B]) (webhook, error)) (event, error) {
	got, err := idv.DecodeEvent[B](eventType, ev.Type, ev.Subject, ev.Data)
	if err != nil {
		return event{}, err
	}
	w, err := build(got)
	if err != nil {
		return event{}, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, ev.MsgID, err)
	}
	w.data.TenantID = got.TenantID.String()
	if got.SessionID != uuid.Nil {
		w.data.SessionID = got.SessionID.String()
	}
	return event{eventType: eventType, session: got.SessionID, tenant: got.TenantID,
		msgID:   schemas.MsgID(eventType, w.key[0], w.key[1:]...),
		payload: schemas.WebhookPayload{Type: webhookType, Timestamp: w.at.UTC(), Data: w.data}}, nil
}

func decodeDecided(ev stage.Event) (event, error) {
	return decodeAs(ev, schemas.TypeSessionDecided, schemas.WebhookSessionDecided, func(got idv.Received[schemas.SessionDecided]) (webhook, error) {
		body, session := got.Body, got.SessionID.String()
		if !decisions[body.Decision] {
			return webhook{}, errors.New("unknown decision")
		}
		if body.DecidedAt.IsZero() {
			return webhook{}, errors.New("no decided_at")
		}
		return webhook{at: body.DecidedAt, key: []string{session},
			data: schemas.WebhookData{Decision: body.Decision, Attempts: body.Attempts, Href: "/v1/sessions/" + session}}, nil
	})
}

// decodeDeleted reads an idv.session.deleted event. Its webhook points at
// the signed deletion receipt, which the tenant fetches with its API key
// and verifies with IDV's receipt signing key.
func decodeDeleted(ev stage.Event) (event, error) {
	return decodeAs(ev, schemas.TypeSessionDeleted, schemas.WebhookSessionDeleted, func(got idv.Received[schemas.SessionDeleted]) (webhook, error) {
		body := got.Body
		receipt, err := uuid.Parse(body.ReceiptID)
		if err != nil || receipt == uuid.Nil {
			return webhook{}, errors.New("receipt_id must be a UUID")
		}
		if !wipeReasons[body.Reason] {
			return webhook{}, errors.New("unknown wipe reason")
		}
		if body.DeletedAt.IsZero() {
			return webhook{}, errors.New("no deleted_at")
		}
		return webhook{at: body.DeletedAt, key: []string{got.SessionID.String()},
			data: schemas.WebhookData{Href: "/v1/deletion-receipts/" + receipt.String()}}, nil
	})
}

// Error codes recorded for attempts without a 2xx answer. Fixed strings:
// never the URL, the endpoint's answer or an error's text.
const (
	codeAddressNotAllowed = "address_not_allowed"
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
func (n *Stage) post(ctx context.Context, url, webhookID string, secret, body []byte) result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil || (req.URL.Scheme != "https" && req.URL.Scheme != "http") || req.URL.Host == "" {
		return result{code: codeInvalidURL}
	}
	now := time.Now()
	req.Header.Set(schemas.HeaderWebhookID, webhookID)
	req.Header.Set(schemas.HeaderWebhookTimestamp, fmt.Sprint(now.Unix()))
	req.Header.Set(schemas.HeaderWebhookSignature, idv.Sign(secret, webhookID, now, body))
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
	// breach) and data subjects' requests all become webhooks, with the
	// same delivery rules.
	Consumes: []string{schemas.TypeSessionDecided, schemas.TypeSessionDeleted,
		schemas.TypeSubprocessorAnnounced, schemas.TypeBreachNotified, schemas.TypeDSRReceived},
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
