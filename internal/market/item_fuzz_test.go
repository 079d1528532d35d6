package market_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fuzzNow is the clock of the validation fuzz targets: fixed, so a failing
// input fails the same way tomorrow.
var fuzzNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// fuzzDecodeStrict decodes body as the HTTP layer does: one JSON value, no
// unknown fields.
func fuzzDecodeStrict(body []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false
	}
	_, err := dec.Token()
	return errors.Is(err, io.EOF)
}

// fuzzFieldPattern is the shape of every field name an EINVALID error
// reports: a JSON path with an optional index.
var fuzzFieldPattern = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)?(\[[0-9]+\])?$`)

// fuzzCheckInvalid checks that err is an EINVALID *market.Error naming only
// fields of known (JSON paths without their index).
func fuzzCheckInvalid(t *testing.T, err error, known ...string) {
	t.Helper()
	var me *market.Error
	if !errors.As(err, &me) || me.Code != market.EINVALID {
		t.Fatalf("error %v (%T), want an EINVALID *market.Error", err, err)
	}
	if len(me.Fields) == 0 || me.Message == "" {
		t.Fatalf("EINVALID error %q with %d fields", me.Message, len(me.Fields))
	}
	for _, fe := range me.Fields {
		if !fuzzFieldPattern.MatchString(fe.Field) || fe.Message == "" {
			t.Fatalf("field error %+v", fe)
		}
		base, _, _ := strings.Cut(fe.Field, "[")
		if !slices.Contains(known, base) {
			t.Fatalf("field error names %q, not a field of the body (%v)", fe.Field, known)
		}
	}
}

func fuzzRunes(s string, lo, hi int) bool {
	n := utf8.RuneCountInString(s)
	return n >= lo && n <= hi
}

// fuzzCleanList reports whether list is as Apply leaves lists: trimmed,
// no blanks, no duplicates.
func fuzzCleanList(list []string) bool {
	seen := map[string]bool{}
	for _, s := range list {
		if s == "" || s != strings.TrimSpace(s) || seen[s] {
			return false
		}
		seen[s] = true
	}
	return true
}

func fuzzPhone(s string) bool {
	return len(s) >= 5 && len(s) <= 20 && strings.Trim(s, "0123456789+-") == ""
}

func fuzzRegion(s string) bool {
	if len(s) != 6 || s[0] == '0' {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// fuzzCheckValidItem checks every documented bound on an item Validate
// accepted, independently of Validate.
func fuzzCheckValidItem(t *testing.T, it *market.Item) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("Validate accepted %s %+v: "+format, append([]any{it.Kind, *it}, args...)...)
	}
	if !fuzzRunes(it.Title, 2, 100) || it.Title != strings.TrimSpace(it.Title) {
		fail("title %q", it.Title)
	}
	if !fuzzRunes(it.Body, 10, 5000) || it.Body != strings.TrimSpace(it.Body) {
		fail("body of %d runes", utf8.RuneCountInString(it.Body))
	}
	if !market.HasCode(market.Industries, it.Industry) {
		fail("industry %q", it.Industry)
	}
	if len(it.Keywords) > 10 || !fuzzCleanList(it.Keywords) {
		fail("keywords %q", it.Keywords)
	}
	for _, k := range it.Keywords {
		if !fuzzRunes(k, 1, 20) {
			fail("keyword %q", k)
		}
	}
	if len(it.Modes) == 0 || !fuzzCleanList(it.Modes) {
		fail("modes %q", it.Modes)
	}
	for _, m := range it.Modes {
		if !market.HasCode(market.Modes, m) {
			fail("mode %q", m)
		}
	}
	if !fuzzRegion(it.RegionCode) {
		fail("region_code %q", it.RegionCode)
	}
	if c := it.Contact; c != nil {
		if !fuzzRunes(c.Name, 1, 50) || c.Name != strings.TrimSpace(c.Name) {
			fail("contact.name %q", c.Name)
		}
		if !fuzzPhone(c.Phone) {
			fail("contact.phone %q", c.Phone)
		}
	}
	switch it.Kind {
	case market.KindDemand:
		if it.BudgetMinFen < 0 || it.BudgetMaxFen < 0 || it.BudgetMinFen > it.BudgetMaxFen {
			fail("budget %d..%d", it.BudgetMinFen, it.BudgetMaxFen)
		}
		if it.Deadline != "" {
			d, err := time.Parse("2006-01-02", it.Deadline)
			if err != nil || d.Format("2006-01-02") < fuzzNow.Format("2006-01-02") {
				fail("deadline %q (today %s)", it.Deadline, fuzzNow.Format("2006-01-02"))
			}
		}
	case market.KindAchievement:
		if !market.HasCode(market.Maturities, it.Maturity) {
			fail("maturity %q", it.Maturity)
		}
		if it.AskingPriceFen < 0 {
			fail("asking_price_fen %d", it.AskingPriceFen)
		}
		if len(it.PatentNumbers) > 20 || !fuzzCleanList(it.PatentNumbers) {
			fail("patent_numbers %q", it.PatentNumbers)
		}
		for _, s := range it.PatentNumbers {
			if !fuzzRunes(s, 1, 30) {
				fail("patent number %q", s)
			}
		}
		if len(it.Inventors) > 20 || !fuzzCleanList(it.Inventors) {
			fail("inventors %q", it.Inventors)
		}
		for _, s := range it.Inventors {
			if !fuzzRunes(s, 1, 50) {
				fail("inventor %q", s)
			}
		}
	default:
		fail("kind")
	}
}

// fuzzCloneItem deep-copies the fields Validate could touch.
func fuzzCloneItem(it market.Item) market.Item {
	it.Keywords = slices.Clone(it.Keywords)
	it.Modes = slices.Clone(it.Modes)
	it.PatentNumbers = slices.Clone(it.PatentNumbers)
	it.Inventors = slices.Clone(it.Inventors)
	if it.Contact != nil {
		c := *it.Contact
		it.Contact = &c
	}
	return it
}

// fuzzItemFields are the fields an item's EINVALID error may name.
var fuzzItemFields = map[market.ItemKind][]string{
	market.KindDemand: {"title", "description", "industry", "keywords", "cooperation_modes", "region_code",
		"contact.name", "contact.phone", "budget_min_fen", "budget_max_fen", "deadline"},
	market.KindAchievement: {"title", "summary", "industry", "keywords", "transfer_modes", "region_code",
		"contact.name", "contact.phone", "maturity", "asking_price_fen", "patent_numbers", "inventors"},
}

// fuzzBaseItem returns a valid stored item of kind, for PATCH-like
// applications.
func fuzzBaseItem(kind market.ItemKind) market.Item {
	it := market.Item{Kind: kind, Title: "汽车车身轻量化", Body: "降低整备质量的车身减重方案，目标减重百分之十。",
		Industry: "automotive", Keywords: []string{"减重"}, Modes: []string{"transfer"}, RegionCode: "450206",
		Contact: &market.Contact{Name: "王工", Phone: "13877200000"}}
	if kind == market.KindDemand {
		it.BudgetMinFen, it.BudgetMaxFen, it.Deadline = 100, 200, "2030-12-31"
	} else {
		it.Maturity, it.AskingPriceFen = "pilot", 300
		it.PatentNumbers, it.Inventors = []string{"ZL202310000001.X"}, []string{"李教授"}
	}
	return it
}

// FuzzItemValidate decodes arbitrary bytes as the body of POST /demands or
// POST /achievements, applies it to a new item and to a valid stored one,
// and validates: an item Validate accepts keeps every documented bound; a
// refusal is EINVALID naming fields of the body; Apply's normalisation is
// idempotent; Validate changes nothing; and a valid item, shown as JSON and
// sent back, is the same valid item.
func FuzzItemValidate(f *testing.F) {
	demand := `{"title":"汽车车身轻量化技术需求","description":"我公司需要降低整备质量的车身减重方案，目标减重百分之十以上。",` +
		`"industry":"automotive","keywords":["减重","车身"],"cooperation_modes":["transfer","joint_development"],` +
		`"budget_min_fen":10000000,"budget_max_fen":50000000,"deadline":"2030-12-31","region_code":"450206",` +
		`"contact":{"name":"王工","phone":"13877200000"}}`
	achievement := `{"title":"碳纤维复合材料车身轻量化技术","summary":"采用碳纤维增强复合材料替代钢制部件，实现车身轻量化。",` +
		`"industry":"automotive","keywords":["轻量化","碳纤维"],"maturity":"pilot","transfer_modes":["transfer","license"],` +
		`"asking_price_fen":30000000,"patent_numbers":["ZL202310000001.X"],"inventors":["李教授"],"region_code":"450205",` +
		`"contact":{"name":"李老师","phone":"0772-2685000"}}`
	for _, s := range []struct {
		body   string
		demand bool
	}{
		{demand, true},
		{achievement, false},
		{demand, false}, // demand fields on an achievement: unknown fields
		{`{"title":"  x  ","budget_min_fen":5,"budget_max_fen":4}`, true},
		{`{"budget_min_fen":-1,"budget_max_fen":-2,"deadline":"2020-01-01"}`, true},
		{`{"deadline":"2026-06-15"}`, true},
		{`{"deadline":"2026-02-30"}`, true},
		{`{"keywords":[" a ","a","","b"],"cooperation_modes":["transfer","transfer","bogus"]}`, true},
		{`{"asking_price_fen":9223372036854775807,"maturity":"lab","transfer_modes":[]}`, false},
		{`{"asking_price_fen":1e30}`, false},
		{`{"title":123}`, false},
		{`{"contact":{"name":"","phone":"abc"}}`, true},
		{`{"contact":null,"keywords":null}`, false},
		{`{"title":"\u0000\u0000","summary":"\ud800\udc00\ud800 summary text"}`, false},
		{`{"patent_numbers":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21"]}`, false},
		{`{"title":"螺蛳粉"}`, true},
		{`{"unknown":1}`, true},
		{`[1,2,3]`, true},
		{`null`, false},
		{`{"title":{"nested":[{"garbage":true}]}}`, false},
	} {
		f.Add([]byte(s.body), s.demand)
	}
	f.Fuzz(func(t *testing.T, body []byte, isDemand bool) {
		kind := market.KindAchievement
		var patch, empty market.ItemPatch = market.AchievementInput{}, market.AchievementInput{}
		if isDemand {
			kind = market.KindDemand
			var in market.DemandInput
			if !fuzzDecodeStrict(body, &in) {
				return
			}
			patch, empty = in, market.DemandInput{}
		} else {
			var in market.AchievementInput
			if !fuzzDecodeStrict(body, &in) {
				return
			}
			patch = in
		}

		for _, start := range []market.Item{{Kind: kind}, fuzzBaseItem(kind)} {
			it := start
			it.Apply(patch)

			again := fuzzCloneItem(it)
			again.Apply(empty)
			if !reflect.DeepEqual(again, it) {
				t.Fatalf("Apply is not idempotent:\n%+v\n%+v", it, again)
			}

			before := fuzzCloneItem(it)
			err := it.Validate(fuzzNow)
			if !reflect.DeepEqual(before, it) {
				t.Fatalf("Validate changed the item:\n%+v\n%+v", before, it)
			}
			if err != nil {
				fuzzCheckInvalid(t, err, fuzzItemFields[kind]...)
				continue
			}
			fuzzCheckValidItem(t, &it)

			// Shown as JSON and sent back, a valid item is the same item.
			shown, err := json.Marshal(it)
			if err != nil || !json.Valid(shown) {
				t.Fatalf("MarshalJSON: %v, %s", err, shown)
			}
			back := market.Item{Kind: kind}
			if isDemand {
				var in market.DemandInput
				if err := json.Unmarshal(shown, &in); err != nil {
					t.Fatalf("shown demand does not decode: %v", err)
				}
				back.Apply(in)
			} else {
				var in market.AchievementInput
				if err := json.Unmarshal(shown, &in); err != nil {
					t.Fatalf("shown achievement does not decode: %v", err)
				}
				back.Apply(in)
			}
			if err := back.Validate(fuzzNow); err != nil {
				t.Fatalf("a valid item, sent back as shown, is refused: %v\n%s", err, shown)
			}
			if back.Title != it.Title || back.Body != it.Body || !slices.Equal(back.Modes, it.Modes) ||
				!slices.Equal(back.Keywords, it.Keywords) || back.BudgetMaxFen != it.BudgetMaxFen ||
				back.AskingPriceFen != it.AskingPriceFen || back.Deadline != it.Deadline {
				t.Fatalf("round trip through JSON changed the item:\n%+v\n%+v", it, back)
			}
		}
	})
}
