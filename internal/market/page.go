package market

import (
	"encoding/base64"
	"strconv"
)

// Pagination limits shared by every list.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
)

// PageRequest is a cursor and a page size. The cursor is opaque to clients;
// inside it is the ID of the last item of the previous page (IDs sort by
// creation time, lists run newest first).
type PageRequest struct {
	After string
	Limit int
}

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ParsePage reads ?cursor= and ?limit= values.
func ParsePage(cursor, limit string) (PageRequest, error) {
	pr := PageRequest{Limit: DefaultPageLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxPageLimit {
			return pr, Invalid("limit", "must be an integer from 1 to %d", MaxPageLimit)
		}
		pr.Limit = n
	}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(b) == 0 || len(b) > 64 {
			return pr, Invalid("cursor", "is not a cursor this server issued")
		}
		pr.After = string(b)
	}
	return pr, nil
}

// EncodeCursor turns the last ID of a page into a cursor.
func EncodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastID))
}
