package market

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Intent lifecycle states.
const (
	IntentPending  = "pending"
	IntentAccepted = "accepted"
	IntentDeclined = "declined"
)

// IntentStatuses lists every state, for validating filters.
var IntentStatuses = []string{IntentPending, IntentAccepted, IntentDeclined}

// Decline reason codes (SPEC: Intent).
var DeclineReasons = []Code{
	{"too_early", "时机未到"}, {"price", "价格不合适"}, {"not_relevant", "不相关"},
	{"capacity", "能力不足"}, {"other", "其他"},
}

// Intent actions, named as their routes.
const (
	ActionAccept  = "accept"
	ActionDecline = "decline"
)

// intentTransitions is the lifecycle table of intents: action → from → to.
var intentTransitions = map[string]map[string]string{
	ActionAccept:  {IntentPending: IntentAccepted},
	ActionDecline: {IntentPending: IntentDeclined},
}

// IntentTransition returns the state an action moves an intent to, or a
// conflict naming the current state.
func IntentTransition(from, action string) (string, error) {
	to, ok := intentTransitions[action][from]
	if !ok {
		return "", Conflict("cannot %s an intent that is %s", action, from)
	}
	return to, nil
}

// Intent (对接意向) is one org's interest in another org's published demand
// or achievement. The item's owner accepts or declines it; an accepted
// intent may become an online transaction between the two orgs.
type Intent struct {
	ID string `json:"id"`
	// FromOrgID is the interested org; ToOrgID owns the item.
	FromOrgID     string     `json:"from_org_id"`
	ToOrgID       string     `json:"to_org_id"`
	AchievementID string     `json:"achievement_id,omitempty"`
	DemandID      string     `json:"demand_id,omitempty"`
	ItemTitle     string     `json:"item_title,omitempty"`
	Message       string     `json:"message"`
	Status        string     `json:"status"`
	ReasonCode    string     `json:"reason_code,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// ItemKind returns the kind of item the intent is about.
func (in *Intent) ItemKind() ItemKind {
	if in.DemandID != "" {
		return KindDemand
	}
	return KindAchievement
}

// ItemID returns the id of the item the intent is about.
func (in *Intent) ItemID() string { return in.AchievementID + in.DemandID }

// BuyerSeller returns the two orgs of a deal that grows from the intent:
// the owner of an achievement sells it, the owner of a demand buys.
func (in *Intent) BuyerSeller() (buyer, seller string) {
	if in.ItemKind() == KindDemand {
		return in.ToOrgID, in.FromOrgID
	}
	return in.FromOrgID, in.ToOrgID
}

// NewIntent is the body of POST /intents: exactly one of the two item ids.
type NewIntent struct {
	AchievementID string `json:"achievement_id"`
	DemandID      string `json:"demand_id"`
	Message       string `json:"message"`
}

// Validate checks the body.
func (n *NewIntent) Validate() error {
	var p Problems
	n.AchievementID = strings.TrimSpace(n.AchievementID)
	n.DemandID = strings.TrimSpace(n.DemandID)
	n.Message = strings.TrimSpace(n.Message)
	switch {
	case n.AchievementID == "" && n.DemandID == "":
		p.Add("achievement_id", "name the achievement_id or the demand_id the intent is about")
	case n.AchievementID != "" && n.DemandID != "":
		p.Add("demand_id", "name either achievement_id or demand_id, not both")
	}
	if len(n.AchievementID) > 26 {
		p.Add("achievement_id", "is not an id")
	}
	if len(n.DemandID) > 26 {
		p.Add("demand_id", "is not an id")
	}
	if c := utf8.RuneCountInString(n.Message); c < 1 || c > 2000 {
		p.Add("message", "is required, at most 2000 characters")
	}
	return p.Err()
}

// Decline is the body of POST /intents/{id}/decline.
type Decline struct {
	ReasonCode string `json:"reason_code"`
	Reason     string `json:"reason"`
}

// Validate checks the reason code; "other" must say why in words.
func (d *Decline) Validate() error {
	var p Problems
	d.Reason = strings.TrimSpace(d.Reason)
	if !HasCode(DeclineReasons, d.ReasonCode) {
		p.Add("reason_code", "must be one of too_early, price, not_relevant, capacity, other")
	}
	if d.ReasonCode == "other" && d.Reason == "" {
		p.Add("reason", "is required when reason_code is other")
	}
	if utf8.RuneCountInString(d.Reason) > 500 {
		p.Add("reason", "at most 500 characters")
	}
	return p.Err()
}

// tradingKinds are the org kinds that buy and sell technology.
func isTradingKind(kind string) bool {
	return kind == OrgEnterprise || kind == OrgUniversity || kind == OrgInstitute
}

// CanCreateIntent says whether the actor may express interest in items:
// members of verified enterprises, universities and institutes.
func CanCreateIntent(a *Actor) error {
	if a == nil || a.OrgID == "" || !isTradingKind(a.OrgKind) {
		return Errorf(EFORBIDDEN, "only enterprises, universities and institutes send intents")
	}
	if !a.OrgVerified {
		return Errorf(EFORBIDDEN, "your org must be verified before it trades")
	}
	return nil
}

// CanSeeIntent reports whether the actor is one of the intent's two orgs.
// Nobody else sees a negotiation, not even operators.
func CanSeeIntent(a *Actor, in *Intent) bool {
	return a != nil && a.OrgID != "" && (a.OrgID == in.FromOrgID || a.OrgID == in.ToOrgID)
}

// CanDecideIntent says whether the actor may accept or decline: members of
// the org that owns the item.
func CanDecideIntent(a *Actor, in *Intent) error {
	if a != nil && a.OrgID != "" && a.OrgID == in.ToOrgID {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the org that owns the %s accepts or declines intents", in.ItemKind())
}

// Intent roles of GET /intents?role=.
const (
	IntentRoleSent     = "sent"
	IntentRoleReceived = "received"
)

// IntentFilter narrows GET /intents. Role is sent, received or empty for
// both.
type IntentFilter struct {
	Role   string
	Status string
	Page   PageRequest
}

// IntentService manages intents. Every method reads the actor from the
// context.
type IntentService interface {
	CreateIntent(ctx context.Context, in NewIntent) (*Intent, error)
	FindIntent(ctx context.Context, id string) (*Intent, error)
	ListIntents(ctx context.Context, f IntentFilter) (Page[Intent], error)
	AcceptIntent(ctx context.Context, id string) (*Intent, error)
	DeclineIntent(ctx context.Context, id string, d Decline) (*Intent, error)
}
