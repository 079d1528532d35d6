package market

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a synonym group (SPEC: operators curate the vocabulary).
const (
	MinSynonymTerms   = 2
	MaxSynonymTerms   = 30
	MaxSynonymTermLen = 40 // runes
)

// synonymGroupID is the form of a group's id: it is chosen by the operator
// (PUT /synonyms/{id}), so it is kept to a readable slug.
var synonymGroupID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// SynonymGroup is a set of words that mean the same (同义词组), curated by
// market operators; search and matching treat any term of a group as any
// other.
type SynonymGroup struct {
	ID        string    `json:"id"`
	Terms     []string  `json:"terms"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate trims each term in place and checks the id and the terms: 2 to
// 30 terms, each 1 to 40 characters without commas or line breaks, no two
// alike once folded (FoldTerm). Terms keep the spelling they were given.
func (g *SynonymGroup) Validate() error {
	var p Problems
	if !synonymGroupID.MatchString(g.ID) {
		p.Add("id", "must be 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter or digit")
	}
	if n := len(g.Terms); n < MinSynonymTerms || n > MaxSynonymTerms {
		p.Add("terms", "must hold %d to %d terms", MinSynonymTerms, MaxSynonymTerms)
	}
	seen := make(map[string]int, len(g.Terms))
	for i, t := range g.Terms {
		t = strings.TrimSpace(t)
		g.Terms[i] = t
		folded := FoldTerm(t)
		switch n := utf8.RuneCountInString(t); {
		case n == 0:
			p.Add(fieldIndex("terms", i), "must not be empty")
			continue
		case n > MaxSynonymTermLen:
			p.Add(fieldIndex("terms", i), "at most %d characters", MaxSynonymTermLen)
		}
		// Folding first catches the full-width comma (，) too: commas
		// separate terms in the engines' synonym files and in CSV exports.
		if strings.ContainsAny(folded, ",\n\r") {
			p.Add(fieldIndex("terms", i), "must not contain commas or line breaks")
		}
		if j, dup := seen[folded]; dup {
			p.Add(fieldIndex("terms", i), "repeats terms[%d] (%q)", j, g.Terms[j])
			continue
		}
		seen[folded] = i
	}
	return p.Err()
}

// FoldTerm is the form in which two terms are compared: full-width ASCII
// (ＡＢＣ１２３, the ideographic space) folded to half-width, then
// lower-cased. "ＣＦＲＰ" and "cfrp" are one term.
func FoldTerm(s string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width forms of ! .. ~
			return r - 0xFEE0
		case r == 0x3000: // ideographic space
			return ' '
		}
		return r
	}, s))
}

// CanCurateVocabulary says whether the actor may list, change and delete
// synonym groups: verified market operators and platform admins.
func CanCurateVocabulary(a *Actor) error {
	if a != nil && (a.PlatformAdmin || (a.IsOperator() && a.OrgVerified)) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only market operators curate the vocabulary")
}

// VocabularyService keeps the operators' synonym groups. Every change bumps
// a version counter in the same transaction, so an instance can see that
// the vocabulary changed (deletions too) by reading one number.
type VocabularyService interface {
	// ListSynonymGroups returns every group, sorted by id (operators).
	ListSynonymGroups(ctx context.Context) ([]SynonymGroup, error)
	// PutSynonymGroup creates the group id (created is true) or replaces
	// its terms (operators); audited as synonym_group.
	PutSynonymGroup(ctx context.Context, id string, terms []string) (g *SynonymGroup, created bool, err error)
	// DeleteSynonymGroup removes the group (operators); ENOTFOUND when
	// there is none.
	DeleteSynonymGroup(ctx context.Context, id string) error
	// VocabularyVersion is the counter every put and delete bumps. It
	// needs no actor: it tells nothing but that something changed.
	VocabularyVersion(ctx context.Context) (int64, error)
}

// MatchFeedback is one org's judgement of one match: whether TargetID (an
// item of the other kind) was useful for SourceID. An org holds at most
// one feedback per (source, target): a second one replaces the first.
type MatchFeedback struct {
	ID         string    `json:"id"`
	SourceKind ItemKind  `json:"source_kind"`
	SourceID   string    `json:"source_id"`
	TargetID   string    `json:"target_id"`
	Useful     bool      `json:"useful"`
	OrgID      string    `json:"org_id"`
	UserID     string    `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
}

// PairSignal is what is known about a (demand, achievement) pair beyond its
// text: the feedback given on it from either side, whether an accepted
// intent links the two, and whether they became a signed deal.
type PairSignal struct {
	Useful         int  `json:"useful"`
	NotUseful      int  `json:"not_useful"`
	AcceptedIntent bool `json:"accepted_intent"`
	SignedDeal     bool `json:"signed_deal"`
}

// Other returns the kind an item of kind is matched against.
func (k ItemKind) Other() ItemKind {
	if k == KindDemand {
		return KindAchievement
	}
	return KindDemand
}

// TransactionSignalStatuses are the states in which a deal counts as signed for
// matching: signed or any later state, never cancelled (nor a deal still
// waiting for the other party to confirm it).
var TransactionSignalStatuses = []string{TransactionSigned, TransactionRegistered, TransactionPaid, TransactionCompleted}

// CanGiveMatchFeedback says whether the actor may judge the matches of
// source: members of the org that owns it, and verified market operators.
// Platform admins belong to no org, and feedback is kept per org.
func CanGiveMatchFeedback(a *Actor, source *Item) error {
	switch {
	case a == nil || a.OrgID == "":
	case a.OrgID == source.OrgID:
		return nil
	case a.IsOperator() && a.OrgVerified:
		return nil
	}
	return Errorf(EFORBIDDEN, "only the org that owns the %s and market operators give feedback on its matches", source.Kind)
}

// FeedbackService keeps match feedback and reads the signals that rank
// later matches.
type FeedbackService interface {
	// RecordMatchFeedback records the caller's org's judgement of target
	// (a published item of the other kind) as a match for the published
	// item sourceID of kind, replacing the org's earlier one on the pair;
	// audited as match_feedback.
	RecordMatchFeedback(ctx context.Context, kind ItemKind, sourceID, targetID string, useful bool) (*MatchFeedback, error)
	// MatchSignals returns, for the item sourceID of kind, the signals of
	// every published item of the other kind that has any: feedback on
	// the pair given from either side, an accepted intent, a signed deal.
	// It needs no actor: it feeds the ranking of a matches request, which
	// has already checked who may ask.
	MatchSignals(ctx context.Context, kind ItemKind, sourceID string) (map[string]PairSignal, error)
}
