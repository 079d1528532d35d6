package cache

import "context"

// Reads is the read cache of published items and public list pages: the
// version tokens (Versions) and the entries stored under them (Cache),
// both on the shared store, so a change fenced on one instance is seen by
// every other at once.
type Reads struct {
	V Versions
	C Cache
}

// ItemVersionKey is the version key of one item.
func ItemVersionKey(kind, id string) string { return "rv:i:" + kind + ":" + id }

// ListVersionKey is the version key (the generation) of a kind's public
// lists.
func ListVersionKey(kind string) string { return "rv:l:" + kind }

// FenceItem fences the item and its kind's lists before a change to it
// commits; the caller calls release once the transaction has ended,
// committed or not.
func (r *Reads) FenceItem(ctx context.Context, kind, id string) (release func(), err error) {
	keys := []string{ItemVersionKey(kind, id), ListVersionKey(kind)}
	marker, err := r.V.Fence(ctx, keys...)
	if err != nil {
		return nil, err
	}
	return func() { _ = r.V.Release(context.WithoutCancel(ctx), marker, keys...) }, nil
}
