package store

import (
	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fetchPage reads one page of rows by ID, newest first (desc) or oldest
// first, after the cursor. It asks for one row more than the page holds to
// learn whether another page follows, and returns the next cursor ("" on
// the last page). IDs are ULIDs, so ID order is creation order.
func fetchPage[R any](q *gorm.DB, pr market.PageRequest, desc bool, id func(*R) string) ([]R, string, error) {
	op, order := ">", "id ASC"
	if desc {
		op, order = "<", "id DESC"
	}
	if pr.After != "" {
		q = q.Where("id "+op+" ?", pr.After)
	}
	var rows []R
	if err := q.Order(order).Limit(pr.Limit + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	if len(rows) <= pr.Limit {
		return rows, "", nil
	}
	rows = rows[:pr.Limit]
	return rows, market.EncodeCursor(id(&rows[pr.Limit-1])), nil
}

// listPage is fetchPage answered as the domain's page: each row becomes
// its domain value through conv.
func listPage[R, T any](q *gorm.DB, pr market.PageRequest, desc bool, id func(*R) string, conv func(*R) *T) (market.Page[T], error) {
	rows, next, err := fetchPage(q, pr, desc, id)
	if err != nil {
		return market.Page[T]{}, err
	}
	out := market.Page[T]{Items: make([]T, len(rows)), NextCursor: next}
	for i := range rows {
		out.Items[i] = *conv(&rows[i])
	}
	return out, nil
}

// whereEq adds "column = value" for every pair whose value is not empty:
// the optional equality filters of list endpoints. Columns come from the
// code, never from the request.
func whereEq(q *gorm.DB, pairs ...string) *gorm.DB {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q = q.Where(pairs[i]+" = ?", pairs[i+1])
		}
	}
	return q
}
