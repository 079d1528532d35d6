package market_test

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fuzzRegistrationFields are the fields a registration's EINVALID error
// may name.
var fuzzRegistrationFields = []string{"kind", "name", "credit_code", "region_code", "market", "contact_name",
	"contact_phone", "admin.account", "admin.password", "admin.name", "admin.role"}

// FuzzRegistrationValidate decodes arbitrary bytes as the body of POST
// /orgs and validates it: an accepted registration keeps every documented
// bound (a correct credit code by an independent oracle, operators and
// only operators bound to a market, an account that is a mobile number or
// an e-mail address, a password bcrypt reads whole, the first user an org
// admin); a refusal is EINVALID naming fields of the body; validating
// twice changes nothing more.
func FuzzRegistrationValidate(f *testing.F) {
	valid := `{"kind":"enterprise","name":"柳州测试企业有限公司","credit_code":"91350100M000100Y43","region_code":"450206",` +
		`"contact_name":"联系人","contact_phone":"0772-1234567","admin":{"account":"u1@example.com","password":"pass-word-1","name":"管理员"}}`
	for _, s := range []string{
		valid,
		`{"kind":"operator","market":"liuzhou","name":"柳州科技大市场","credit_code":"914403001922038216","region_code":"450204",` +
			`"contact_name":"运营","contact_phone":"+86-772-1234567","admin":{"account":"13877200000","password":"12345678","name":"运营管理员"}}`,
		`{"kind":"enterprise","market":"liuzhou","name":" x ","credit_code":" 91350100M000100Y43 ","region_code":"045020"}`,
		`{"kind":"university","name":"大学","credit_code":"91350100m000100y43","region_code":"450205","contact_name":"a",` +
			`"contact_phone":"12345","admin":{"account":"not-an-email","password":"short","name":"","role":"owner"}}`,
		`{"kind":"institute","name":"研究所","credit_code":"9144030071526726XG","region_code":"450205","contact_name":"张",` +
			`"contact_phone":"12345","admin":{"account":"Zhang San <zs@example.com>","password":"密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码密码","name":"张"}}`,
		`{"kind":"government","name":"` + strings.Repeat("局", 101) + `"}`,
		`{"admin":{"account":" 13877200000 ","password":"` + strings.Repeat("a", 73) + `"}}`,
		`{"kind":"enterprise","credit_code":123}`,
		`{"admin":"x"}`,
		`{"extra":true}`,
		`{}`,
		`null`,
		`"string"`,
		`{"kind":"enterprise"}{"kind":"enterprise"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r market.Registration
		if !fuzzDecodeStrict(body, &r) {
			return
		}
		err := r.Validate()
		once := r
		err2 := r.Validate()
		if !reflect.DeepEqual(once, r) || (err == nil) != (err2 == nil) {
			t.Fatalf("validating twice differs: %+v %v / %+v %v", once, err, r, err2)
		}
		if err != nil {
			fuzzCheckInvalid(t, err, fuzzRegistrationFields...)
			return
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("Validate accepted %+v: "+format, append([]any{r}, args...)...)
		}
		if !market.HasCode(market.OrgKinds, r.Kind) {
			fail("kind %q", r.Kind)
		}
		if !fuzzRunes(r.Name, 1, 100) || r.Name != strings.TrimSpace(r.Name) {
			fail("name %q", r.Name)
		}
		if c, ok := fuzzCreditCheck(r.CreditCode[:min(17, len(r.CreditCode))]); len(r.CreditCode) != 18 || !ok || r.CreditCode[17] != c {
			fail("credit_code %q", r.CreditCode)
		}
		if !fuzzRegion(r.RegionCode) {
			fail("region_code %q", r.RegionCode)
		}
		if r.Kind == market.OrgOperator && r.Market != market.MarketLiuzhou && r.Market != market.MarketGuizhong {
			fail("operator market %q", r.Market)
		}
		if r.Kind != market.OrgOperator && r.Market != "" {
			fail("a %s bound to market %q", r.Kind, r.Market)
		}
		if !fuzzRunes(r.ContactName, 1, 50) || r.ContactName != strings.TrimSpace(r.ContactName) {
			fail("contact_name %q", r.ContactName)
		}
		if !fuzzPhone(r.ContactPhone) {
			fail("contact_phone %q", r.ContactPhone)
		}
		a := r.Admin
		mobile := len(a.Account) == 11 && a.Account[0] == '1' && strings.Trim(a.Account, "0123456789") == ""
		email := strings.Contains(a.Account, "@") && len(a.Account) <= 254 && utf8.ValidString(a.Account) &&
			strings.IndexFunc(a.Account, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }) < 0
		if !mobile && !email {
			fail("admin.account %q is neither a mobile number nor an e-mail address", a.Account)
		}
		if !fuzzRunes(a.Password, 8, 72) || len(a.Password) > 72 {
			fail("admin.password of %d bytes", len(a.Password))
		}
		if !fuzzRunes(a.Name, 1, 50) || a.Name != strings.TrimSpace(a.Name) {
			fail("admin.name %q", a.Name)
		}
		if a.Role != market.RoleAdmin {
			fail("admin.role %q", a.Role)
		}
	})
}
