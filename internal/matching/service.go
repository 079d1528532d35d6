package matching

import (
	"context"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Service answers GET /demands/{id}/matches and /achievements/{id}/matches.
type Service struct {
	Items  market.ItemService
	Engine search.Engine
	// Vocabulary is the synonyms in force; nil means the thesaurus alone.
	Vocabulary *search.Vocabulary
	// Signals, when set, gives the feedback, accepted intents and signed
	// deals of each pair, which move later rankings.
	Signals market.FeedbackService
	// Reciprocal turns on the reciprocal rank (Options.Reciprocal).
	Reciprocal bool
	// Rankings keeps the candidates' own rankings between matches when
	// Reciprocal is on (Options.Rankings); nil computes them every time.
	Rankings *Rankings
}

// Matches ranks the published items of the other kind for one item. Its
// owner and operators may ask; the item itself must be published (only
// published items are matchable).
func (s *Service) Matches(ctx context.Context, kind market.ItemKind, id string, limit int) ([]Item, error) {
	if limit < 1 || limit > MaxLimit {
		return nil, market.Invalid("limit", "must be an integer from 1 to %d", MaxLimit)
	}
	it, err := s.Items.FindItem(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	a := market.ActorFrom(ctx)
	if err := market.CanSeeMatches(a, it); err != nil {
		return nil, err
	}
	if it.Status != market.StatusPublished {
		return nil, market.Conflict("only published items are matched; this one is %s", it.Status)
	}
	o := Options{Lexicon: s.Vocabulary.Lexicon(), Reciprocal: s.Reciprocal, Rankings: s.Rankings}
	if s.Signals != nil {
		if o.Signals, err = s.Signals.MatchSignals(ctx, kind, id); err != nil {
			return nil, err
		}
	}
	items, err := MatchWith(ctx, s.Engine, search.FromItem(it), limit, o)
	if items == nil && err == nil {
		items = []Item{}
	}
	return items, err
}

// Search runs a full-text query over published items.
func (s *Service) Search(ctx context.Context, q search.Query) (search.Result, error) {
	return s.Engine.Search(ctx, q)
}
