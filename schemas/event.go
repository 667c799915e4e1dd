package schemas

import (
	"embed"
	"time"
)

//go:embed events
var eventSchemas embed.FS

// Event types, the first part of every subject idv.<entity>.<event>.<id>.
const (
	TypeSessionSubmitted = "idv.session.submitted"
)

// Subject is the JetStream subject of an event about entity id.
func Subject(eventType, id string) string { return eventType + "." + id }

// MsgID is the de-duplication id (Nats-Msg-Id, ce-id) of the one event of a
// type about an entity: publishing it twice is harmless.
func MsgID(eventType, id string) string { return eventType + ":" + id }

// SessionSubmitted announces that a session's captures are complete and its
// checks may run. Ids and codes only (DESIGN invariant 1).
type SessionSubmitted struct {
	SessionID   string    `json:"session_id"`
	TenantID    string    `json:"tenant_id"`
	Checks      []string  `json:"checks"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// EventSchema returns the JSON Schema of an event type's body.
func EventSchema(eventType string) ([]byte, error) {
	return eventSchemas.ReadFile("events/" + eventType + ".v1.json")
}
