package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
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
		return decodeError(err, body, reflect.TypeOf(v))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return market.Errorf(market.EBADREQUEST, "the body must hold exactly one JSON value")
	}
	return nil
}

// decodeError tells a body that is not JSON (400) from JSON that does not
// fit the resource (422, naming the field by its path, e.g. "admin.bar").
func decodeError(err error, body []byte, t reflect.Type) error {
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
		// encoding/json names only the key; find where it sits.
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if path := unknownFieldPath(body, t); path != "" {
			field = path
		}
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

// unknownFieldPath walks body alongside the type it was decoded into and
// returns the path of the first key the type does not know, as problem
// fields spell paths ("admin.bar", "contact.x", "tiers[1].foo"), or "" when
// there is none. It matches keys as encoding/json does: the exact tag
// first, else case-insensitively.
func unknownFieldPath(body []byte, t reflect.Type) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	path, _ := walkUnknown(dec, t, "")
	return path
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// walkUnknown reads one JSON value from dec as type t would take it. It
// returns the path of an unknown key found inside, or an error when the
// value cannot be read (the caller then falls back to the bare key).
func walkUnknown(dec *json.Decoder, t reflect.Type, at string) (string, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		t = nil // reads itself: its keys are its own business
	}
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	delim, ok := tok.(json.Delim)
	if !ok || (delim != '{' && delim != '[') {
		return "", nil // a scalar: nothing inside it
	}
	kind := reflect.Invalid
	if t != nil {
		kind = t.Kind()
	}
	if delim == '[' {
		var elem reflect.Type
		if kind == reflect.Slice || kind == reflect.Array {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if p, err := walkUnknown(dec, elem, at+"["+strconv.Itoa(i)+"]"); p != "" || err != nil {
				return p, err
			}
		}
		_, err := dec.Token()
		return "", err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		key, _ := tok.(string)
		path := key
		if at != "" {
			path = at + "." + key
		}
		var next reflect.Type
		switch kind {
		case reflect.Struct:
			f, ok := jsonField(t, key)
			if !ok {
				return path, nil
			}
			next = f
		case reflect.Map:
			next = t.Elem()
		}
		if p, err := walkUnknown(dec, next, path); p != "" || err != nil {
			return p, err
		}
	}
	_, err = dec.Token()
	return "", err
}

// jsonField returns the type of the struct field that the JSON key fills,
// looking through embedded structs as encoding/json does.
func jsonField(t reflect.Type, key string) (reflect.Type, bool) {
	var fold reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if ft, ok := jsonField(et, key); ok {
					return ft, true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f.Type, true
		}
		if fold == nil && strings.EqualFold(name, key) {
			fold = f.Type
		}
	}
	return fold, fold != nil
}
