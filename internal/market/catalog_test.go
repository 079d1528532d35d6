package market

import (
	"errors"
	"testing"
)

func TestValidPeriod(t *testing.T) {
	for p, want := range map[string]bool{
		"2026": true, "2026-H1": true, "2026-H2": true, "2026-Q1": true, "2026-Q4": true, "2026-01": true, "2026-12": true,
		"": false, "26": false, "1999": false, "2026-H3": false, "2026-Q5": false, "2026-Q0": false, "2026-13": false,
		"2026-00": false, "2026Q4": false, "2026-q4": false, "2026-Q4 ": false, "二〇二六": false,
	} {
		if ValidPeriod(p) != want {
			t.Errorf("ValidPeriod(%q) = %v", p, !want)
		}
	}
}

func TestCatalogApplyValidate(t *testing.T) {
	kind, title, period := "demand", "  2026年四季度目录 ", " 2026-q4 "
	c := &Catalog{}
	c.Apply(CatalogInput{Kind: &kind, Title: &title, Period: &period,
		Filter: &CatalogFilter{Industries: []string{"automotive", " automotive", ""}, RegionCodes: nil}})
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Title != "2026年四季度目录" || c.Period != "2026-Q4" || len(c.Filter.Industries) != 1 || c.Filter.RegionCodes == nil {
		t.Fatalf("normalised: %+v", c)
	}
	c.Filter.Industries = []string{"mining"}
	c.Filter.RegionCodes = []string{"45020"}
	c.Kind = "patent"
	var e *Error
	if err := c.Validate(); !errors.As(err, &e) || len(e.Fields) != 3 ||
		e.Fields[0].Field != "kind" || e.Fields[1].Field != "filter.industries[0]" || e.Fields[2].Field != "filter.region_codes[0]" {
		t.Fatalf("problems: %v", err)
	}
}

func TestRegionPrefix(t *testing.T) {
	for code, want := range map[string]string{"450206": "450206=", "450200": "4502", "450000": "45", "110101": "110101="} {
		p, exact := RegionPrefix(code)
		if exact {
			p += "="
		}
		if p != want {
			t.Errorf("RegionPrefix(%s) = %s", code, p)
		}
	}
}

func TestCatalogPermissions(t *testing.T) {
	c := &Catalog{Market: MarketLiuzhou, Status: CatalogDraft}
	op := &Actor{OrgID: "o", OrgKind: OrgOperator, OrgVerified: true, Market: MarketLiuzhou}
	other := &Actor{OrgID: "g", OrgKind: OrgOperator, OrgVerified: true, Market: MarketGuizhong}
	ent := &Actor{OrgID: "e", OrgKind: OrgEnterprise, OrgVerified: true}
	if CanChangeCatalog(op, c) != nil || CanChangeCatalog(other, c) == nil || CanChangeCatalog(ent, c) == nil || CanCreateCatalog(nil) == nil {
		t.Fatal("change permissions")
	}
	if !CanSeeCatalog(other, c) || CanSeeCatalog(ent, c) || CanSeeCatalog(nil, c) {
		t.Fatal("draft visibility")
	}
	c.Status = CatalogPublished
	if !CanSeeCatalog(nil, c) {
		t.Fatal("published catalogs are public")
	}
	if _, err := CatalogTransition(CatalogPublished, ActionPublish); ErrorCode(err) != ECONFLICT {
		t.Fatalf("publish twice: %v", err)
	}
	if _, err := CatalogTransition(CatalogPublished, ActionEdit); ErrorCode(err) != ECONFLICT {
		t.Fatalf("edit published: %v", err)
	}
}
