package search

import "github.com/liuzhou-techmarket/techmarket/internal/market"

// FromItem turns a demand or achievement into the document the engines
// index.
func FromItem(it *market.Item) Document {
	d := Document{
		ID: it.ID, Kind: Kind(it.Kind), OrgID: it.OrgID, OrgName: it.OrgName, Title: it.Title,
		Keywords: it.Keywords, Body: it.Body, Industry: it.Industry, Modes: it.Modes, RegionCode: it.RegionCode,
	}
	if it.PublishedAt != nil {
		d.PublishedAt = *it.PublishedAt
	}
	if it.Kind == market.KindDemand {
		d.BudgetMinFen, d.BudgetMaxFen, d.Deadline = it.BudgetMinFen, it.BudgetMaxFen, it.Deadline
	} else {
		d.Maturity, d.PriceFen = it.Maturity, it.AskingPriceFen
	}
	return d
}

// FromItems is FromItem of each item.
func FromItems(items []*market.Item) []Document {
	docs := make([]Document, len(items))
	for i, it := range items {
		docs[i] = FromItem(it)
	}
	return docs
}
