package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// decode reads a JSON body into v strictly: one object, no unknown fields,
// within the JSON body limit. An empty body is allowed when allowEmpty
// (action routes take an empty body or {}).
func (s *Server) decode(c *fiber.Ctx, v any, allowEmpty bool) error {
	body := c.Body()
	if len(body) > s.cfg.BodyLimit {
		return market.Errorf(market.ETOOLARGE, "the JSON body is larger than %d bytes", s.cfg.BodyLimit)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return nil
		}
		return market.Errorf(market.EBADREQUEST, "a JSON body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return market.Errorf(market.EBADREQUEST, "the body must hold exactly one JSON value")
	}
	return nil
}

// decodeError tells a body that is not JSON (400) from JSON that does not
// fit the resource (422, naming the field).
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return market.Errorf(market.EBADREQUEST, "the body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return market.Errorf(market.EBADREQUEST, "the body must be a JSON object")
		}
		return market.Invalid(field, "must be %s", jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return market.Invalid(field, "is not a known field")
	}
	return market.Errorf(market.EBADREQUEST, "the body could not be read as JSON: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return fmt.Sprintf("of type %s", k)
}
