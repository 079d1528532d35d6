package market

import (
	"errors"
	"slices"
	"testing"
)

// The list filters' codes are checked in the domain: a refusal is
// EINVALID naming exactly the fields that are wrong; an empty filter and
// every known code pass.
func TestListFiltersValidate(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		fields []string
	}{
		{"empty item filter", ItemFilter{}.Validate(), nil},
		{"known item codes", ItemFilter{Industry: Industries[0].Code, Status: ItemStatuses[len(ItemStatuses)-1], RegionCode: "450200"}.Validate(), nil},
		{"bad item codes", ItemFilter{Industry: "bakery", Status: "open", RegionCode: "4502"}.Validate(), []string{"industry", "status", "region_code"}},
		{"bad item status only", ItemFilter{Industry: Industries[0].Code, Status: "Published"}.Validate(), []string{"status"}},
		{"empty notice filter", NoticeFilter{}.Validate(), nil},
		{"known notice codes", NoticeFilter{Status: NoticeStatuses[0].Code, Kind: NoticeKinds[len(NoticeKinds)-1].Code}.Validate(), nil},
		{"bad notice codes", NoticeFilter{Status: "open", Kind: "auction"}.Validate(), []string{"status", "kind"}},
		{"empty auction filter", AuctionFilter{}.Validate(), nil},
		{"known auction status", AuctionFilter{Status: AuctionStatuses[len(AuctionStatuses)-1].Code}.Validate(), nil},
		{"bad auction status", AuctionFilter{Status: "closed"}.Validate(), []string{"status"}},
	} {
		if c.fields == nil {
			if c.err != nil {
				t.Errorf("%s: %v", c.name, c.err)
			}
			continue
		}
		var e *Error
		if !errors.As(c.err, &e) || e.Code != EINVALID {
			t.Errorf("%s: %v, want EINVALID", c.name, c.err)
			continue
		}
		var got []string
		for _, f := range e.Fields {
			got = append(got, f.Field)
		}
		if !slices.Equal(got, c.fields) {
			t.Errorf("%s: fields %v, want %v", c.name, got, c.fields)
		}
	}
}
