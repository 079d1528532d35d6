package store

import (
	"context"
	"database/sql"

	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// loadPayments reads a deal's payments, oldest first.
func loadPayments(tx *gorm.DB, ids ...string) (map[string][]market.Payment, error) {
	out := make(map[string][]market.Payment, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []paymentRow
	if err := tx.Where("transaction_id IN ?", ids).Order("id ASC").Find(&rows).Error; err != nil {
		return nil, err
	}
	for i := range rows {
		out[rows[i].TransactionID] = append(out[rows[i].TransactionID], rows[i].payment())
	}
	return out, nil
}

// FindTransaction returns a deal with its payments, read in one snapshot
// so that paid_fen and the list agree.
func (s *TransactionService) FindTransaction(ctx context.Context, id string) (_ *market.Transaction, err error) {
	defer wrap(&err, "store.FindTransaction(%q)", id)
	var out *market.Transaction
	err = s.db.snapshot(ctx, func(tx *gorm.DB) error {
		var err error
		out, err = findTransaction(ctx, tx, id, false, true)
		return err
	})
	return out, err
}

// snapshot runs reads in one consistent snapshot: a read-only REPEATABLE
// READ transaction on MySQL (no locks taken), the one connection's
// transaction on SQLite.
func (db *DB) snapshot(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if db.Dialect != DialectMySQL {
		return db.tx(ctx, fn)
	}
	return db.gorm.WithContext(ctx).Transaction(fn, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

// ListTransactions lists the deals the caller may see, newest first, with
// totals over the whole filtered set computed by the database.
func (s *TransactionService) ListTransactions(ctx context.Context, f market.TransactionFilter) (_ *market.TransactionPage, err error) {
	defer wrap(&err, "store.ListTransactions")
	scope, err := market.TransactionScopeOf(market.ActorFrom(ctx))
	if err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	out := &market.TransactionPage{}
	// One snapshot, so the totals and the page describe the same moment.
	err = s.db.snapshot(ctx, func(tx *gorm.DB) error {
		filtered := func() *gorm.DB {
			q := tx.Session(&gorm.Session{NewDB: true}).Model(&transactionRow{})
			switch {
			case scope.All:
			case scope.Market != "":
				q = q.Where("market = ?", scope.Market)
			default:
				q = q.Where("(buyer_org_id = ? OR seller_org_id = ?)", scope.OrgID, scope.OrgID)
			}
			q = whereEq(q, "market", f.Market, "channel", f.Channel, "contract_type", f.ContractType,
				"status", f.Status, "buyer_org_id", f.BuyerOrgID, "seller_org_id", f.SellerOrgID)
			if f.From != nil {
				q = q.Where("signed_at >= ?", *f.From)
			}
			if f.Until != nil {
				q = q.Where("signed_at < ?", *f.Until)
			}
			return q
		}
		if err := filtered().Select("COUNT(*) AS count, COALESCE(SUM(contract_amount_fen), 0) AS contract_amount_fen, " +
			"COALESCE(SUM(tech_amount_fen), 0) AS tech_amount_fen, COALESCE(SUM(paid_fen), 0) AS paid_fen").
			Scan(&out.Totals).Error; err != nil {
			return err
		}
		rows, next, err := fetchPage(filtered(), f.Page, true, func(r *transactionRow) string { return r.ID })
		if err != nil {
			return err
		}
		out.NextCursor = next
		out.Items = make([]market.Transaction, len(rows))
		ids := make([]string, len(rows))
		for i := range rows {
			out.Items[i] = *rows[i].deal()
			ids[i] = rows[i].ID
		}
		ps, err := loadPayments(tx.Session(&gorm.Session{NewDB: true}), ids...)
		if err != nil {
			return err
		}
		for i := range out.Items {
			if p := ps[out.Items[i].ID]; p != nil {
				out.Items[i].Payments = p
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
