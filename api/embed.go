// Package api embeds the OpenAPI document so the binary serves it from any
// directory.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
