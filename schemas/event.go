package schemas

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed events
var eventSchemas embed.FS

// Event types, the first part of every subject idv.<entity>.<event>.<id>.
const (
	TypeSessionSubmitted = "idv.session.submitted"
	TypeCheckCompleted   = "idv.check.completed"
	TypeSessionDecided   = "idv.session.decided"
	TypeSessionExpired   = "idv.session.expired"
	TypeSessionDeleted   = "idv.session.deleted"
)

// StreamSubjects are the subjects of stream IDV.
var StreamSubjects = []string{"idv.>"}

// Subject is the JetStream subject of an event about entity id.
func Subject(eventType, id string) string { return eventType + "." + id }

// MsgID is the de-duplication id (Nats-Msg-Id, ce-id) of the one event of a
// type about an entity (and, for check results, the check): publishing it
// twice is harmless.
func MsgID(eventType, id string, more ...string) string {
	s := eventType + ":" + id
	for _, m := range more {
		s += ":" + m
	}
	return s
}

// SessionSubmitted announces that a session's captures are complete and its
// checks may run. Ids and codes only (docs/design.md invariant 1).
type SessionSubmitted struct {
	SessionID string `json:"session_id"`
	TenantID  string `json:"tenant_id"`
	// Attempt is the attempt submitted: 1, then one more for each retake.
	Attempt     int       `json:"attempt,omitempty"`
	Checks      []string  `json:"checks"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// EventSchema returns the JSON Schema of an event type's body.
func EventSchema(eventType string) ([]byte, error) {
	return eventSchemas.ReadFile("events/" + eventType + ".v1.json")
}

// Check outcomes.
const (
	OutcomePassed   = "passed"
	OutcomeFailed   = "failed"
	OutcomeResubmit = "resubmit"
	OutcomeReview   = "review"
)

// CheckCompleted announces one check's result; the result itself (reason
// codes, score, model hashes) is in the check_results row.
type CheckCompleted struct {
	SessionID string   `json:"session_id"`
	TenantID  string   `json:"tenant_id"`
	Attempt   int      `json:"attempt,omitempty"`
	Check     string   `json:"check"`
	Outcome   string   `json:"outcome"`
	Reasons   []string `json:"reasons"`
}

// Decisions.
const (
	DecisionApproved              = "approved"
	DecisionDeclined              = "declined"
	DecisionReview                = "review"
	DecisionResubmissionRequested = "resubmission_requested"
	DecisionExpired               = "expired"
	DecisionDeclinedByUser        = "declined_by_user"
)

// Decisions are the decisions a session can have.
var Decisions = []string{DecisionApproved, DecisionDeclined, DecisionReview, DecisionResubmissionRequested,
	DecisionExpired, DecisionDeclinedByUser}

// SessionDecided announces a session's decision.
type SessionDecided struct {
	SessionID string    `json:"session_id"`
	TenantID  string    `json:"tenant_id"`
	Decision  string    `json:"decision"`
	DecidedAt time.Time `json:"decided_at"`
	// Attempts is how many attempts the person made (0 in events written
	// before attempts existed).
	Attempts int `json:"attempts,omitempty"`
}

// ValidateEvent checks an event body against its type's JSON Schema.
func ValidateEvent(eventType string, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("%s body: %w", eventType, err)
	}
	return ValidateEventValue(eventType, v)
}

// eventSchemaCache holds each event type's parsed schema: parsing one costs
// more than checking a body against it, and the stages check every event.
var eventSchemaCache sync.Map // event type → *openapi3.Schema

// ValidateEventValue checks a decoded event body (what json.Unmarshal into
// an any gives) against its type's JSON Schema. Its errors name the place in
// the body and the rule broken (kin-openapi's reason, which names keys and
// allowed values), never the value found there: a malformed body may hold
// anything, and these errors are logged.
func ValidateEventValue(eventType string, v any) error {
	s, err := eventSchema(eventType)
	if err != nil {
		return err
	}
	if err := s.VisitJSON(v, openapi3.DisableSchemaErrorDetails()); err != nil {
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			return fmt.Errorf("%s body does not match its schema at %q: %s", eventType, "/"+strings.Join(se.JSONPointer(), "/"), se.Reason)
		}
		return fmt.Errorf("%s body does not match its schema", eventType)
	}
	return nil
}

func eventSchema(eventType string) (*openapi3.Schema, error) {
	if s, ok := eventSchemaCache.Load(eventType); ok {
		return s.(*openapi3.Schema), nil
	}
	raw, err := EventSchema(eventType)
	if err != nil {
		return nil, fmt.Errorf("event schema of %s: %w", eventType, err)
	}
	var s openapi3.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("event schema of %s: %w", eventType, err)
	}
	got, _ := eventSchemaCache.LoadOrStore(eventType, &s)
	return got.(*openapi3.Schema), nil
}

// Why a session's personal data is wiped.
const (
	WipeExpired         = "expired"          // the retention deadline passed
	WipeCustomerRequest = "customer_request" // DELETE /v1/sessions/{id}
	WipeDeclinedByUser  = "declined_by_user" // the person declined in the app
)

// WipeReasons are the reasons a session can be wiped for.
var WipeReasons = []string{WipeExpired, WipeCustomerRequest, WipeDeclinedByUser}

// SessionExpired asks for a session's wipe (the retention deadline passed,
// or an early erasure). Subject idv.session.expired.<session_id>.
type SessionExpired struct {
	SessionID   string    `json:"session_id"`
	TenantID    string    `json:"tenant_id"`
	Reason      string    `json:"reason"`
	ExpiresAt   time.Time `json:"expires_at"`
	RequestedAt time.Time `json:"requested_at"`
}

// SessionDeleted announces that a session's personal data is gone; the
// signed receipt is at /v1/deletion-receipts/<receipt_id>.
type SessionDeleted struct {
	SessionID string    `json:"session_id"`
	TenantID  string    `json:"tenant_id"`
	ReceiptID string    `json:"receipt_id"`
	Reason    string    `json:"reason"`
	DeletedAt time.Time `json:"deleted_at"`
}

// TypeSubprocessorAnnounced announces a new sub-processor to one tenant.
// Subject idv.subprocessor.announced.<subprocessor id>; one event per
// tenant (its message id names both).
const TypeSubprocessorAnnounced = "idv.subprocessor.announced"

// SubprocessorAnnounced is the body of idv.subprocessor.announced.
type SubprocessorAnnounced struct {
	SubprocessorID string    `json:"subprocessor_id"`
	TenantID       string    `json:"tenant_id"`
	EffectiveDate  string    `json:"effective_date"` // YYYY-MM-DD
	AnnouncedAt    time.Time `json:"announced_at"`
}

// TypeBreachNotified notifies one tenant of a personal-data breach that
// touches its data (GDPR art. 33(2); the seeds' agreement, art. 7).
// Subject idv.breach.notified.<breach id>; one event per tenant and
// notification round.
const TypeBreachNotified = "idv.breach.notified"

// BreachNotified is the body of idv.breach.notified: the notice itself.
// Its texts are the operator's description of the incident (nature,
// consequences, measures, contact point) and must not hold personal data
// of data subjects; the counts and categories are computed by IDV.
type BreachNotified struct {
	BreachID     string    `json:"breach_id"`
	TenantID     string    `json:"tenant_id"`
	Round        int       `json:"round"` // 1 for the first notice, more for updates
	Nature       string    `json:"nature"`
	Consequences string    `json:"consequences"`
	Measures     string    `json:"measures"`
	Contact      string    `json:"contact"`
	Categories   []string  `json:"categories"` // categories of personal data concerned
	Subjects     int       `json:"approximate_data_subjects"`
	Stages       []string  `json:"stages"`
	WindowStart  time.Time `json:"window_start"`
	WindowEnd    time.Time `json:"window_end"`
	DetectedAt   time.Time `json:"detected_at"`
	NotifiedAt   time.Time `json:"notified_at"`
}

// TypeDSRReceived forwards a data subject's request to the controller.
// Subject idv.dsr.received.<session id>; one event per request.
const TypeDSRReceived = "idv.dsr.received"

// Kinds of data-subject request.
const (
	DSRAccess        = "access"
	DSRRectification = "rectification"
	DSRErasure       = "erasure"
	DSRObjection     = "objection"
)

// DSRKinds are the kinds a data subject may request.
var DSRKinds = []string{DSRAccess, DSRRectification, DSRErasure, DSRObjection}

// DSRReceived is the body of idv.dsr.received: ids and the kind only.
type DSRReceived struct {
	DSRID      string    `json:"dsr_id"`
	SessionID  string    `json:"session_id"`
	TenantID   string    `json:"tenant_id"`
	Kind       string    `json:"kind"`
	ReceivedAt time.Time `json:"received_at"`
}

// CloudEvents headers (binary content mode) that IDV events carry besides
// Nats-Msg-Id.
const (
	HeaderSpecVersion = "ce-specversion"
	HeaderType        = "ce-type"
	HeaderID          = "ce-id"
	HeaderTime        = "ce-time"
	HeaderSource      = "ce-source"
)
