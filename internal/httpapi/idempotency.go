package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/cache"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// HeaderIdempotencyKey names the header that makes a POST safe to retry.
const HeaderIdempotencyKey = "Idempotency-Key"

// Idempotency defaults: a key is remembered for a day; a claim whose
// request never finished (its instance died) frees itself after
// claimTTL, well past the server's write timeout.
const (
	DefaultIdempotencyTTL = 24 * time.Hour
	claimTTL              = 2 * time.Minute
)

// idemRecord is what the cache holds under a key: first the claim of the
// request in flight, then the answer it got.
type idemRecord struct {
	Done        bool   `json:"done"`
	Fingerprint string `json:"fp"`
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

// idempotent makes a POST carrying an Idempotency-Key safe to retry: the
// first request with a key claims it in the shared cache (SET NX), runs,
// and leaves its answer under the key; a replay with the same key and the
// same request gets that answer again, status and body, without acting;
// the same key with another request is a 422, and a duplicate that arrives
// while the first is still running is a 409. Keys are scoped per caller.
// A 5xx answer releases the key, so the client may retry for real; when
// the cache cannot be reached the request is refused (503) rather than
// risk acting twice.
//
// It is route middleware: put it after requireAuth on any route that
// creates or moves state.
func (s *Server) idempotent(c *fiber.Ctx) error {
	key := c.Get(HeaderIdempotencyKey)
	if key == "" {
		return c.Next()
	}
	if s.deps.Cache == nil {
		return unavailable(errors.New("no idempotency key store configured"))
	}
	if len(key) > 255 || !printableASCII(key) {
		return market.Invalid(HeaderIdempotencyKey, "must be 1 to 255 printable ASCII characters")
	}
	scope := "ip:" + s.clientIP(c)
	if a := market.ActorFrom(c.UserContext()); a != nil {
		scope = "user:" + a.UserID
	}
	ck := "idem:" + digest(scope, key)
	fp := fingerprint(c)
	// Cache writes outlive a client that hangs up: the claim must be
	// settled either way.
	ctx := context.WithoutCancel(c.UserContext())

	claim, _ := json.Marshal(idemRecord{Fingerprint: fp})
	for attempt := 0; ; attempt++ {
		ok, err := s.deps.Cache.SetNX(ctx, ck, claim, claimTTL)
		if err != nil {
			return unavailable(err)
		}
		if ok {
			break
		}
		b, err := s.deps.Cache.Get(ctx, ck)
		if errors.Is(err, cache.ErrMiss) && attempt == 0 {
			continue // released or expired between the two calls: claim again
		}
		if err != nil {
			return unavailable(err)
		}
		var rec idemRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return unavailable(err)
		}
		switch {
		case rec.Fingerprint != fp:
			return market.Invalid(HeaderIdempotencyKey, "was already used with another request; use a new key for a new request")
		case !rec.Done:
			return market.Conflict("a request with this Idempotency-Key is still in progress; retry shortly")
		}
		c.Set("Idempotent-Replayed", "true")
		c.Set(fiber.HeaderContentType, rec.ContentType)
		return c.Status(rec.Status).Send(rec.Body)
	}

	if err := c.Next(); err != nil {
		// Render the error now: its answer is what a replay must get.
		if herr := s.App.Config().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	if status >= 500 {
		if err := s.deps.Cache.Del(ctx, ck); err != nil {
			s.deps.Log.Warn("idempotency key not released", "err", err, "request_id", requestID(c))
		}
		return nil
	}
	rec, _ := json.Marshal(idemRecord{Done: true, Fingerprint: fp, Status: status,
		ContentType: string(c.Response().Header.ContentType()), Body: c.Response().Body()})
	ttl := s.cfg.IdempotencyTTL
	if ttl <= 0 {
		ttl = DefaultIdempotencyTTL
	}
	if err := s.deps.Cache.Set(ctx, ck, rec, ttl); err != nil {
		// The claim stays and expires by itself; until then retries get 409.
		s.deps.Log.Warn("idempotent answer not stored", "err", err, "request_id", requestID(c))
	}
	return nil
}

// fingerprint identifies the request a key was first used with: its
// method, path and body. A multipart body is taken part by part — each
// part's form name, file name and a hash of its content — because its
// boundary is random and a client regenerates it on every send, so the
// raw bytes of a faithful retry differ. A multipart body that cannot be
// read is taken as raw bytes (the handler refuses it anyway).
func fingerprint(c *fiber.Ctx) string {
	body := c.Body()
	if mt, params, err := mime.ParseMediaType(string(c.Request().Header.ContentType())); err == nil &&
		strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		if parts, err := multipartDigest(body, params["boundary"]); err == nil {
			return digest(c.Method(), c.Path(), mt, parts)
		}
	}
	return digest(c.Method(), c.Path(), string(body))
}

// multipartDigest hashes a multipart body's parts in order: name, file
// name and the SHA-256 of the content of each, never the boundary.
func multipartDigest(body []byte, boundary string) (string, error) {
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	var parts []string
	for {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			return digest(parts...), nil
		}
		if err != nil {
			return "", err
		}
		h := sha256.New()
		if _, err := io.Copy(h, p); err != nil {
			return "", err
		}
		parts = append(parts, p.FormName(), p.FileName(), hex.EncodeToString(h.Sum(nil)))
	}
}

func unavailable(err error) error {
	return &market.Error{Code: market.EUNAVAILABLE, Message: "idempotency keys cannot be checked now; retry shortly", Err: err}
}

// digest hashes length-prefixed parts, so no two different part lists
// give the same input.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		for i, l := 0, len(p); i < 8; i, l = i+1, l>>8 {
			n[i] = byte(l)
		}
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
