package outbox

import (
	"context"
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// Reindex rebuilds both indexes from the database: it applies the engine's
// settings, empties each index and adds every published item in batches,
// drawing a progress bar on w. Changes made meanwhile still reach the
// index through the outbox.
func Reindex(ctx context.Context, db *store.DB, eng search.Engine, w io.Writer) (int, error) {
	if err := eng.Setup(ctx); err != nil {
		return 0, fmt.Errorf("apply index settings: %w", err)
	}
	const batch = 500
	total := 0
	for _, kind := range []market.ItemKind{market.KindDemand, market.KindAchievement} {
		n, err := db.CountPublished(ctx, kind)
		if err != nil {
			return total, err
		}
		bar := progressbar.NewOptions64(n, progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(fmt.Sprintf("%-12s", string(kind)+"s")),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
		if err := eng.DeleteAll(ctx, search.Kind(kind)); err != nil {
			return total, err
		}
		after := ""
		for {
			items, err := db.PublishedItems(ctx, kind, after, batch)
			if err != nil {
				return total, err
			}
			if len(items) == 0 {
				break
			}
			docs := make([]search.Document, len(items))
			for i, it := range items {
				docs[i] = search.FromItem(it)
			}
			if err := eng.Upsert(ctx, docs); err != nil {
				return total, err
			}
			total += len(items)
			_ = bar.Add(len(items))
			after = items[len(items)-1].ID
		}
		_ = bar.Finish()
	}
	return total, nil
}
