package subsidy

import (
	"fmt"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// ReasonNotCompleted: a voucher pays for a booking or service order once
// it is completed.
const ReasonNotCompleted = "not_completed"

// VoucherOf returns what the calculation needs of a booking or service
// order whose client org is in clientRegion.
func VoucherOf(s *market.VoucherSubject, clientRegion string) Deal {
	status := "open"
	if s.Completed {
		status = "completed"
	}
	return Deal{Voucher: true, Status: status, FeeFen: s.FeeFen, SignedAt: s.At, BuyerRegionCode: clientRegion}
}

// voucherReasons are the reasons a booking or service order is not
// eligible for an innovation voucher, besides the caps: not completed, the
// client outside Liuzhou, a fee below the minimum, completed outside the
// policy's dates (Beijing dates).
func voucherReasons(r Rules, d Deal) []Reason {
	rs := []Reason{}
	add := func(code, format string, args ...any) {
		rs = append(rs, Reason{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	if d.Status != "completed" {
		add(ReasonNotCompleted, "服务尚未完成 (the booking or service order is not completed)")
	}
	if r.RequireLocalBuyer && !isLiuzhou(d.BuyerRegionCode) {
		add(ReasonBuyerNotLocal, "服务对象不在柳州市 (client region %q is not 4502xx)", d.BuyerRegionCode)
	}
	if d.FeeFen < r.MinTechAmountFen {
		add(ReasonBelowMinimum, "服务费低于最低额 (fee %d fen is below the minimum %d fen)", d.FeeFen, r.MinTechAmountFen)
	}
	if d.Status == "completed" && !r.Covers(d.SignedAt) {
		add(ReasonOutsidePeriod, "完成日期不在政策有效期内 (completed %s, policy runs %s to %s)",
			d.SignedAt.In(market.ChinaTime).Format(time.DateOnly), r.EffectiveFrom.Format(time.DateOnly), r.EffectiveTo.Format(time.DateOnly))
	}
	return rs
}
