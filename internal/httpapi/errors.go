package httpapi

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"syscall"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	market.EBADREQUEST:   http.StatusBadRequest,
	market.EINVALID:      http.StatusUnprocessableEntity,
	market.EUNAUTHORIZED: http.StatusUnauthorized,
	market.EFORBIDDEN:    http.StatusForbidden,
	market.ENOTFOUND:     http.StatusNotFound,
	market.ECONFLICT:     http.StatusConflict,
	market.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	market.ERATELIMIT:    http.StatusTooManyRequests,
	market.EUNAVAILABLE:  http.StatusServiceUnavailable,
	market.EINTERNAL:     http.StatusInternalServerError,
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []market.FieldError `json:"errors,omitempty"`
	// Reasons is an extension member: coded causes, e.g. why a deal is not
	// eligible for a subsidy.
	Reasons []market.Reason `json:"reasons,omitempty"`
	// CurrentPriceFen is an extension member of refused bids: the
	// auction's current price when the bid was decided.
	CurrentPriceFen *int64 `json:"current_price_fen,omitempty"`
}

// errorHandler turns any error a handler returns into problem+json. Only
// internal errors are logged, and their text never reaches the client.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p := Problem{Instance: c.Path(), RequestID: requestID(c)}
		var me *market.Error
		var fe *fiber.Error
		switch {
		case errors.As(err, &me) && me.Code != market.EINTERNAL:
			p.Status = statusOf[me.Code]
			p.Detail, p.Errors, p.Reasons, p.CurrentPriceFen = me.Message, me.Fields, me.Reasons, me.CurrentPriceFen
			if me.Code == market.ERATELIMIT && me.RetryAfter > 0 {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(me.RetryAfter))
			}
			if me.Code == market.EUNAVAILABLE && me.Err != nil {
				log.Warn("dependency unavailable", "path", c.Path(), "request_id", p.RequestID, "err", me.Err)
			}
		case errors.As(err, &fe):
			p.Status, p.Detail = fe.Code, fe.Message
		case dependencyDown(err):
			p.Status, p.Detail = http.StatusServiceUnavailable, "a service this request needs is unavailable; try again shortly"
			c.Set(fiber.HeaderRetryAfter, "5")
			log.Warn("dependency unavailable", "method", c.Method(), "path", c.Path(), "request_id", p.RequestID, "err", err)
		default:
			p.Status, p.Detail = http.StatusInternalServerError, "an internal error occurred; it has been logged"
			log.Error("internal error", "method", c.Method(), "path", c.Path(), "request_id", p.RequestID, "err", err)
		}
		if p.Status == 0 {
			p.Status = http.StatusInternalServerError
		}
		p.Title = http.StatusText(p.Status)
		p.Type = "https://techmarket.liuzhou.gov.cn/problems/" + slugOf(p.Status)
		c.Status(p.Status)
		c.Set(fiber.HeaderContentType, "application/problem+json")
		b, _ := c.App().Config().JSONEncoder(p)
		return c.Send(b)
	}
}

// dependencyDown reports whether err says a database, cache or engine
// could not be reached (refused, reset, timed out, connection gone), as
// opposed to a bug: those are 503s that clients may retry.
func dependencyDown(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

func slugOf(status int) string {
	switch status {
	case 400:
		return "malformed"
	case 401:
		return "unauthenticated"
	case 403:
		return "forbidden"
	case 404:
		return "not-found"
	case 409:
		return "conflict"
	case 413, 431:
		return "too-large"
	case 422:
		return "invalid"
	case 429:
		return "rate-limited"
	case 503:
		return "unavailable"
	}
	return "internal"
}
