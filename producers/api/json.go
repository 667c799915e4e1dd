package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

// maxBody bounds every request body: the API takes only JSON (captures go
// to object storage under their upload policies), and limitBody refuses a
// longer body from its Content-Length before decode would read it.
const maxBody = 64 << 10

// decode reads a JSON body into v: application/json only, at most maxBody
// bytes, no unknown fields, nothing after the value. An empty body leaves v
// as it is when optional.
func decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errTooLarge(maxBody)
		}
		if errors.Is(err, io.EOF) && optional {
			return nil
		}
		return apiErr(http.StatusBadRequest, "invalid_request", "the body is not valid JSON for this request: %s", jsonProblem(err))
	}
	if dec.More() {
		return apiErr(http.StatusBadRequest, "invalid_request", "the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return "malformed JSON"
	case errors.As(err, &typ):
		return "field " + typ.Field + " has the wrong type"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	default:
		// json reports unknown fields as `json: unknown field "name"`; the
		// name is the client's own key, not personal data.
		return err.Error()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
