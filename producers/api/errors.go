package api

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"

	"github.com/idv-oss/idv"
)

// Error is an API error: an HTTP status, a stable machine-readable code
// (listed in schemas/openapi.yaml) and a message for people. Details name the
// input at fault, never personal data.
type Error struct {
	Status  int
	Code    string
	Message string
	Details map[string]string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func apiErr(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) with(key, value string) *Error {
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	e.Details[key] = value
	return e
}

var (
	errUnauthorized = apiErr(http.StatusUnauthorized, "unauthorized", "missing, unknown, expired or revoked credential")
	errNotFound     = apiErr(http.StatusNotFound, "not_found", "no such resource")
	errNotOpen      = apiErr(http.StatusConflict, "session_not_open", "the session no longer accepts captures or submission")
	errEnded        = apiErr(http.StatusGone, "session_ended", "the session has ended and its data is being or has been erased")
	errOffboarding  = apiErr(http.StatusForbidden, "tenant_offboarding", "the tenant is being offboarded: its data is being returned and erased, and its API keys no longer work")
)

// notFound answers the core's ErrNotFound as 404 not_found and passes any
// other error on.
func notFound(err error) error {
	if errors.Is(err, idv.ErrNotFound) {
		return errNotFound
	}
	return err
}

// errUnavailable answers a request that failed because PostgreSQL, the key
// store or the object store could not be reached: the client should retry
// (after Retry-After), as it would after a 429, rather than treat it as a
// fault of IDV's.
var errUnavailable = apiErr(http.StatusServiceUnavailable, "unavailable",
	"a store IDV depends on is unreachable for the moment; retry after the Retry-After header's seconds")

// unavailableRetryAfter is the Retry-After of errUnavailable, in seconds.
const unavailableRetryAfter = "5"

// unreachable reports whether err comes from a store that could not be
// reached or dropped the connection, rather than from what it answered.
func unreachable(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

type errorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Details map[string]string `json:"details,omitempty"`
	} `json:"error"`
}

// writeError maps err to its response; anything that is not an *Error is an
// internal failure, logged with the request's route and ids only.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case unreachable(err):
		log.WarnContext(r.Context(), "request failed: a store is unreachable", "route", r.Pattern, "err", err)
		e = errUnavailable
		w.Header().Set("Retry-After", unavailableRetryAfter)
	default:
		log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err)
		e = apiErr(http.StatusInternalServerError, "internal", "IDV failed to handle the request; it may be retried")
	}
	var body errorBody
	body.Error.Code, body.Error.Message, body.Error.Details = e.Code, e.Message, e.Details
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="idv"`)
	}
	writeJSON(w, e.Status, body)
}
