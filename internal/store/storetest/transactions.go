package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// Parties are the orgs a deal and its subsidy involve: a verified buyer
// and seller, the operator of the liuzhou market and the bureau.
type Parties struct {
	Buyer, Seller, Operator, Bureau Org
}

// MustCreateParties registers and verifies the four orgs of a deal.
func MustCreateParties(tb testing.TB, db *store.DB) Parties {
	tb.Helper()
	return Parties{
		Buyer:    MustCreateOrg(tb, db, market.OrgEnterprise, true),
		Seller:   MustCreateOrg(tb, db, market.OrgUniversity, true),
		Operator: MustCreateOrg(tb, db, market.OrgOperator, true),
		Bureau:   MustCreateOrg(tb, db, market.OrgGovernment, true),
	}
}

// UniqueNo returns a contract, voucher or registration number never
// returned before in this process.
func UniqueNo(prefix string) string { return fmt.Sprintf("%s-%d", prefix, seq.Add(1)) }

// SignedAt is when the fixtures' deals are signed: inside the year of
// MustCreatePolicy's policies, and in the past.
const SignedAt = "2025-06-01T10:00:00+08:00"

// NewTransaction returns an offline deal of the liuzhou market between p's buyer
// and seller, for the operator to log.
func NewTransaction(p Parties, contractFen, techFen int64) market.NewTransaction {
	return market.NewTransaction{Market: market.MarketLiuzhou, Channel: market.ChannelOffline, ContractType: "transfer",
		ContractNo: UniqueNo("HT"), Title: "技术转让合同", BuyerOrgID: p.Buyer.ID, SellerOrgID: p.Seller.ID,
		ContractAmountFen: contractFen, TechAmountFen: techFen, SignedAt: SignedAt}
}

// MustCreateTransaction logs n through p's operator; paid registers it and books
// the whole contract amount (confirmed, as the operator books it), which
// makes it paid.
func MustCreateTransaction(tb testing.TB, db *store.DB, p Parties, n market.NewTransaction, paid bool) *market.Transaction {
	tb.Helper()
	deals := store.NewTransactionService(db)
	t, err := deals.CreateTransaction(p.Operator.Ctx, n)
	if err != nil {
		tb.Fatalf("create deal: %v", err)
	}
	if !paid {
		return t
	}
	at := time.Now().Add(-time.Hour).Format(time.RFC3339)
	if t, err = deals.RegisterTransaction(p.Operator.Ctx, t.ID, market.TransactionRegistration{RegistrationNo: UniqueNo("DJ"), RegisteredAt: at}); err != nil {
		tb.Fatalf("register %s: %v", t.ID, err)
	}
	if t, err = deals.AddPayment(p.Operator.Ctx, t.ID, market.NewPayment{AmountFen: n.ContractAmountFen, PaidAt: at, VoucherNo: UniqueNo("PZ")}); err != nil {
		tb.Fatalf("pay %s: %v", t.ID, err)
	}
	if t.Status != market.TransactionPaid {
		tb.Fatalf("deal %s is %s after full payment, want paid", t.ID, t.Status)
	}
	return t
}

// MustCreatePolicy creates a 2025 policy through p's bureau paying a flat
// rateBP of the lesser of paid and tech amount, out of budgetFen, with no
// caps and no registration or locality requirement.
func MustCreatePolicy(tb testing.TB, db *store.DB, p Parties, rateBP, budgetFen int64) *market.SubsidyPolicy {
	tb.Helper()
	name, year, base, from, to := "柳州市技术交易补助测试政策", 2025, "lesser", "2025-01-01", "2025-12-31"
	zero, no := int64(0), false
	types := []string{}
	pol, err := store.NewSubsidyService(db).CreateSubsidyPolicy(p.Bureau.Ctx, market.SubsidyPolicyInput{Name: &name, Year: &year, RateBP: &rateBP,
		PerTransactionCapFen: &zero, AnnualCapPerOrgFen: &zero, BudgetFen: &budgetFen, MinTechAmountFen: &zero,
		EligibleContractTypes: &types, RequireRegistered: &no, RequireLocalBuyer: &no, Base: &base, AutoApply: &no,
		EffectiveFrom: &from, EffectiveTo: &to})
	if err != nil {
		tb.Fatalf("create policy: %v", err)
	}
	return pol
}

// MustApply files the buyer's application for deal under policy.
func MustApply(tb testing.TB, db *store.DB, p Parties, transactionID, policyID string) *market.SubsidyApplication {
	tb.Helper()
	app, err := store.NewSubsidyService(db).ApplyForSubsidy(p.Buyer.Ctx, market.SubsidyRequest{TransactionID: transactionID, PolicyID: policyID})
	if err != nil {
		tb.Fatalf("apply for %s under %s: %v", transactionID, policyID, err)
	}
	return app
}
