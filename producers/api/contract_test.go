package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/idv-oss/idv/schemas"
)

// contractTransport checks every response of the API under test against
// schemas/openapi.yaml: the route must be in the contract, the status must be
// documented for it, and the body must match its schema.
type contractTransport struct {
	t      testing.TB
	router routers.Router
	host   string
	next   http.RoundTripper
}

func newContractTransport(t testing.TB, serverURL string) *contractTransport {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(schemas.OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: serverURL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("openapi router: %v", err)
	}
	u, _ := url.Parse(serverURL)
	return &contractTransport{t: t, router: router, host: u.Host, next: http.DefaultTransport}
}

func (c *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || req.URL.Host != c.host {
		return resp, err // storage and other hosts are not this contract's
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			return resp, nil // a route outside the contract, refused as it should be
		}
		c.t.Errorf("contract: %s %s answered %d but is not in openapi.yaml: %v", req.Method, req.URL.Path, resp.StatusCode, err)
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		c.t.Errorf("contract: %s %s → %d does not match openapi.yaml: %v\nbody: %s", req.Method, route.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}

// The processing record is also served as Markdown; the validator reads
// it as plain text. Registered while the package's variables initialise,
// before any test runs, since the decoder table is global.
var _ = func() bool {
	openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder)
	return true
}()
