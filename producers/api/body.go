package api

import "net/http"

// errTooLarge answers a request body over limit bytes.
func errTooLarge(limit int64) *Error {
	return apiErr(http.StatusRequestEntityTooLarge, "request_too_large", "the body is over %d bytes", limit)
}

// limitBody answers 413 request_too_large, from the Content-Length header
// alone, a request whose body is declared over limit bytes, before anything
// reads it. net/http sends "100 Continue" to a client that asked for it
// (Expect: 100-continue) when the handler first reads the body; refused
// first, the client never sends the body, and net/http closes the
// connection after the answer instead of resetting it under a body being
// sent. Without Expect, net/http closes it after the answer too, once more
// than it drains is left unread (256 KiB). A body of unknown length
// (chunked) is cut at the limit by decode's http.MaxBytesReader; r.Body is not
// wrapped here, as net/http looks at it after the handler to see whether a
// 100 Continue went unanswered.
func (s *Server) limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeError(w, r, s.log, errTooLarge(limit))
			return
		}
		next.ServeHTTP(w, r)
	})
}
