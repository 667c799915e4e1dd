package schemas

import _ "embed"

// OpenAPI is the HTTP API contract (schemas/openapi.yaml): every route,
// request, response and error code.
//
//go:embed openapi.yaml
var OpenAPI []byte
