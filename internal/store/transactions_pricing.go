package store

import (
	"errors"

	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// checkPricedTransaction binds a deal that names a notice or an auction to its
// outcome (market.Transaction.FollowPrice).
func checkPricedTransaction(tx *gorm.DB, t *market.Transaction) error {
	var o market.PriceOutcome
	switch {
	case t.NoticeID != "":
		var n noticeRow
		err := tx.First(&n, "id = ?", t.NoticeID).Error
		if errors.Is(err, errNotFound) {
			return market.Invalid("notice_id", "no notice %s", t.NoticeID)
		}
		if err != nil {
			return err
		}
		o = market.PriceOutcome{Field: "notice_id", ID: n.ID, Done: n.Status == market.NoticeCompleted, State: n.Status,
			SellerOrgID: n.SellerOrgID, AchievementID: n.AchievementID, BuyerOrgID: n.WinnerOrgID, MinFen: n.PriceFen,
			Successor: n.AuctionID}
	case t.AuctionID != "":
		var a auctionRow
		err := tx.First(&a, "id = ?", t.AuctionID).Error
		if errors.Is(err, errNotFound) {
			return market.Invalid("auction_id", "no auction %s", t.AuctionID)
		}
		if err != nil {
			return err
		}
		o = market.PriceOutcome{Field: "auction_id", ID: a.ID, Done: a.Status == market.AuctionSold, State: a.Status,
			SellerOrgID: a.SellerOrgID, AchievementID: a.AchievementID, BuyerOrgID: a.WinnerOrgID, MinFen: a.CurrentPriceFen}
	default:
		return nil
	}
	return t.FollowPrice(o)
}
