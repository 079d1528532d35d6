package store

import (
	"context"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/subsidy"
)

type policyRow struct {
	ID                    string `gorm:"primaryKey"`
	LineageID             string
	Supersedes            string
	SupersededBy          string
	Status                string
	Name                  string
	Year                  int
	RateBP                int64                `gorm:"column:rate_bp"`
	Tiers                 []market.SubsidyTier `gorm:"serializer:json"`
	PerTransactionCapFen  int64
	AnnualCapPerOrgFen    int64
	BudgetFen             int64
	ApprovedFen           int64
	DisbursedFen          int64
	MinTechAmountFen      int64
	EligibleContractTypes []string `gorm:"serializer:json"`
	RequireRegistered     bool
	RequireLocalBuyer     bool
	Base                  string
	AutoApply             bool
	AppliesTo             string
	EffectiveFrom         string
	EffectiveTo           string
	CreatedByOrgID        string
	CreatedAt             time.Time
	// Save stores UpdatedAt as set; GORM must not stamp a later instant
	// than the answer and the audit event show.
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (policyRow) TableName() string { return "subsidy_policies" }

func (r *policyRow) policy() *market.SubsidyPolicy {
	p := &market.SubsidyPolicy{
		ID: r.ID, Name: r.Name, Year: r.Year, RateBP: r.RateBP, Tiers: r.Tiers,
		PerTransactionCapFen: r.PerTransactionCapFen, AnnualCapPerOrgFen: r.AnnualCapPerOrgFen,
		BudgetFen: r.BudgetFen, MinTechAmountFen: r.MinTechAmountFen, EligibleContractTypes: r.EligibleContractTypes,
		RequireRegistered: r.RequireRegistered, RequireLocalBuyer: r.RequireLocalBuyer, Base: r.Base,
		AutoApply: r.AutoApply, AppliesTo: r.AppliesTo, EffectiveFrom: r.EffectiveFrom, EffectiveTo: r.EffectiveTo,
		ApprovedFen: r.ApprovedFen, DisbursedFen: r.DisbursedFen, Status: r.Status, Supersedes: r.Supersedes,
		SupersededBy: r.SupersededBy, LineageID: r.LineageID, CreatedByOrgID: r.CreatedByOrgID,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if p.Tiers == nil {
		p.Tiers = []market.SubsidyTier{}
	}
	if p.EligibleContractTypes == nil {
		p.EligibleContractTypes = []string{}
	}
	p.RemainingBudgetFen = max(p.BudgetFen-p.Committed(), 0)
	return p
}

func rowFromPolicy(p *market.SubsidyPolicy) policyRow {
	return policyRow{
		ID: p.ID, LineageID: p.LineageID, Supersedes: p.Supersedes, SupersededBy: p.SupersededBy, Status: p.Status,
		Name: p.Name, Year: p.Year, RateBP: p.RateBP, Tiers: p.Tiers, PerTransactionCapFen: p.PerTransactionCapFen,
		AnnualCapPerOrgFen: p.AnnualCapPerOrgFen, BudgetFen: p.BudgetFen, ApprovedFen: p.ApprovedFen,
		DisbursedFen: p.DisbursedFen, MinTechAmountFen: p.MinTechAmountFen,
		EligibleContractTypes: p.EligibleContractTypes, RequireRegistered: p.RequireRegistered,
		RequireLocalBuyer: p.RequireLocalBuyer, Base: p.Base, AutoApply: p.AutoApply, AppliesTo: p.AppliesTo,
		EffectiveFrom: p.EffectiveFrom, EffectiveTo: p.EffectiveTo, CreatedByOrgID: p.CreatedByOrgID,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

func policyNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "subsidy policy %s not found", id)
}

func supersededConflict(p *market.SubsidyPolicy) error {
	return market.Conflict("subsidy policy %s is superseded by %s; use that version", p.ID, p.SupersededBy)
}

// SubsidyService holds the subsidy aggregate's methods over db: policies
// and their versions, quotes, applications and their review, for deals
// and, as innovation vouchers, for bookings and service orders. The steps
// a deal's change takes inside its own transaction (the 免申即享
// application, releasing a reservation) stay on db, shared with
// TransactionService.
type SubsidyService struct{ db *DB }

var _ subsidy.Service = (*SubsidyService)(nil)

// NewSubsidyService returns the subsidy service over db.
func NewSubsidyService(db *DB) *SubsidyService { return &SubsidyService{db: db} }

// findPolicy reads a policy. lock takes the row locks that serialise every
// change of its budget: first the row of the first version of its lineage
// (which guards the annual per-org caps counted across versions), then its
// own. Every writer locks in this order, so they queue instead of
// deadlocking.
func findPolicy(tx *gorm.DB, id string, lock bool) (*market.SubsidyPolicy, error) {
	var row policyRow
	err := tx.First(&row, "id = ?", id).Error
	if err := translate(err, func() error { return policyNotFound(id) }); err != nil {
		return nil, err
	}
	if !lock {
		return row.policy(), nil
	}
	locking := clause.Locking{Strength: "UPDATE"}
	if row.LineageID != row.ID {
		// The lineage of a row never changes, so the unlocked read above
		// names the right root.
		if err := tx.Clauses(locking).Select("id").First(&policyRow{}, "id = ?", row.LineageID).Error; err != nil {
			return nil, err
		}
	}
	if err := tx.Clauses(locking).First(&row, "id = ?", id).Error; err != nil {
		return nil, err
	}
	return row.policy(), nil
}

// CreateSubsidyPolicy creates an active policy; the verified bureau may.
func (s *SubsidyService) CreateSubsidyPolicy(ctx context.Context, in market.SubsidyPolicyInput) (_ *market.SubsidyPolicy, err error) {
	defer wrap(&err, "store.CreateSubsidyPolicy")
	a := market.ActorFrom(ctx)
	if err := market.CanManageSubsidyPolicies(a); err != nil {
		return nil, err
	}
	p := &market.SubsidyPolicy{}
	var problems market.Problems
	in.Apply(p, &problems)
	if err := subsidy.ValidatePolicy(p, problems); err != nil {
		return nil, err
	}
	now := s.db.now()
	p.ID = ulid.Make().String()
	p.LineageID, p.Status, p.CreatedByOrgID, p.CreatedAt, p.UpdatedAt = p.ID, market.PolicyActive, a.OrgID, now, now
	p.RemainingBudgetFen = p.BudgetFen
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		row := rowFromPolicy(p)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "subsidy_policy", p.ID, nil, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// FindSubsidyPolicy returns a policy; policies are public.
func (s *SubsidyService) FindSubsidyPolicy(ctx context.Context, id string) (_ *market.SubsidyPolicy, err error) {
	defer wrap(&err, "store.FindSubsidyPolicy(%q)", id)
	return findPolicy(s.db.gorm.WithContext(ctx), id, false)
}

// ListSubsidyPolicies lists policies newest first; policies are public.
func (s *SubsidyService) ListSubsidyPolicies(ctx context.Context, f market.SubsidyPolicyFilter) (_ market.Page[market.SubsidyPolicy], err error) {
	defer wrap(&err, "store.ListSubsidyPolicies")
	var out market.Page[market.SubsidyPolicy]
	if err := f.Validate(); err != nil {
		return out, err
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&policyRow{}), "status", f.Status)
	if f.Year != 0 {
		q = q.Where("year = ?", f.Year)
	}
	if f.EffectiveOn != "" {
		q = q.Where("effective_from <= ? AND effective_to >= ?", f.EffectiveOn, f.EffectiveOn)
	}
	return listPage(q, f.Page, true, func(r *policyRow) string { return r.ID }, (*policyRow).policy)
}

// UpdateSubsidyPolicy edits an active policy in place. Its name and
// auto_apply may always change; its money rules only while no application
// under it is approved or disbursed, since those were decided on the rules
// as they are. The policy's row lock keeps an approval from slipping in
// between the check and the change.
func (s *SubsidyService) UpdateSubsidyPolicy(ctx context.Context, id string, in market.SubsidyPolicyInput) (_ *market.SubsidyPolicy, err error) {
	defer wrap(&err, "store.UpdateSubsidyPolicy(%q)", id)
	if err := market.CanManageSubsidyPolicies(market.ActorFrom(ctx)); err != nil {
		return nil, err
	}
	var out *market.SubsidyPolicy
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		p, err := findPolicy(tx, id, true)
		if err != nil {
			return err
		}
		if p.Status == market.PolicySuperseded {
			return supersededConflict(p)
		}
		before := *p
		var problems market.Problems
		in.Apply(p, &problems)
		if err := subsidy.ValidatePolicy(p, problems); err != nil {
			return err
		}
		if !p.SameMoneyRules(&before) {
			var decided int64
			if err := tx.Model(&applicationRow{}).Where("policy_id = ? AND status IN ?", id,
				[]string{market.ApplicationApproved, market.ApplicationDisbursed}).Count(&decided).Error; err != nil {
				return err
			}
			if decided > 0 {
				return market.Conflict("subsidy policy %s has %d approved or disbursed applications, so its money rules "+
					"are fixed; create a new version with POST /api/v1/subsidy-policies/%s/versions", id, decided, id)
			}
		}
		p.UpdatedAt = s.db.now()
		row := rowFromPolicy(p)
		if err := tx.Select("*").Save(&row).Error; err != nil {
			return err
		}
		out = row.policy()
		return s.db.audit(ctx, tx, "update", "subsidy_policy", id, &before, out)
	})
	return out, err
}

// VersionSubsidyPolicy makes a new active version of a policy: a copy with
// the changes in, naming the old one in supersedes. The old version is
// superseded: it takes no new applications and is no longer auto-applied,
// but finishes those it has, so its budget shrinks to what it has
// committed plus what its submitted applications ask for. The rest is the
// new version's budget unless the body names one, so by default the two
// together cannot spend more than the old budget did.
func (s *SubsidyService) VersionSubsidyPolicy(ctx context.Context, id string, in market.SubsidyPolicyInput) (_ *market.SubsidyPolicy, err error) {
	defer wrap(&err, "store.VersionSubsidyPolicy(%q)", id)
	a := market.ActorFrom(ctx)
	if err := market.CanManageSubsidyPolicies(a); err != nil {
		return nil, err
	}
	var out *market.SubsidyPolicy
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		old, err := findPolicy(tx, id, true)
		if err != nil {
			return err
		}
		if old.Status == market.PolicySuperseded {
			return supersededConflict(old)
		}
		var pending int64
		if err := tx.Session(&gorm.Session{NewDB: true}).Model(&applicationRow{}).
			Where("policy_id = ? AND status = ?", id, market.ApplicationSubmitted).
			Select("COALESCE(SUM(amount_fen), 0)").Scan(&pending).Error; err != nil {
			return err
		}
		// The old version keeps what it has committed and promised; the
		// rest of its budget is released, and is the new version's unless
		// the body says otherwise.
		keep := min(old.Committed()+pending, old.BudgetFen)
		next := *old
		if in.BudgetFen == nil {
			next.BudgetFen = old.BudgetFen - keep
			if next.BudgetFen <= 0 {
				return market.Invalid("budget_fen", "is required here: subsidy policy %s has approved, disbursed or been asked for "+
					"its whole budget of %d fen, so nothing is left to carry over to the new version", id, old.BudgetFen)
			}
		}
		var problems market.Problems
		in.Apply(&next, &problems)
		if err := subsidy.ValidatePolicy(&next, problems); err != nil {
			return err
		}
		now := s.db.now()
		next.ID, next.Supersedes, next.SupersededBy, next.Status = ulid.Make().String(), old.ID, "", market.PolicyActive
		next.ApprovedFen, next.DisbursedFen, next.RemainingBudgetFen = 0, 0, next.BudgetFen
		next.CreatedByOrgID, next.CreatedAt, next.UpdatedAt = a.OrgID, now, now
		row := rowFromPolicy(&next)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		before := *old
		old.Status, old.SupersededBy, old.BudgetFen, old.UpdatedAt = market.PolicySuperseded, next.ID, keep, now
		old.RemainingBudgetFen = old.BudgetFen - old.Committed()
		if err := tx.Session(&gorm.Session{NewDB: true}).Model(&policyRow{}).Where("id = ?", id).Updates(map[string]any{
			"status": old.Status, "superseded_by": old.SupersededBy, "budget_fen": keep, "updated_at": now}).Error; err != nil {
			return err
		}
		out = &next
		if err := s.db.audit(ctx, tx, "supersede", "subsidy_policy", old.ID, &before, old); err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "subsidy_policy", next.ID, nil, &next)
	})
	return out, err
}

// subsidyTotals sums the budgets and counters of the policies of a year
// (their year field, the year of the annual cap). Policies are city-wide,
// so a market filter does not narrow them.
func subsidyTotals(g *gorm.DB, year int) (market.SubsidyTotals, error) {
	var t market.SubsidyTotals
	err := g.Session(&gorm.Session{NewDB: true}).Model(&policyRow{}).Where("year = ?", year).
		Select("COALESCE(SUM(approved_fen), 0) AS approved_fen, COALESCE(SUM(disbursed_fen), 0) AS disbursed_fen, " +
			"COALESCE(SUM(budget_fen), 0) AS budget_fen").Scan(&t).Error
	return t, err
}
