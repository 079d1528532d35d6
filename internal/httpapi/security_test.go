package httpapi_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// syncBuffer is a log sink the server's goroutines may write to while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The production logger, at debug level, sees a whole session — register,
// login (right and wrong), refresh, calls with good and bad tokens, logout
// — and never writes a password, a token or an Authorization header.
func TestSecretsNeverLogged(t *testing.T) {
	var logs syncBuffer
	cfg := apptest.Config(t, "sqlite")
	cfg.LogLevel = "debug"
	e := apptest.NewWithLogger(t, cfg, app.NewLogger(cfg, &logs))

	const password, wrong = "Secret-Pass-9173", "Wrong-Pass-5528"
	reg := e.Registration(market.OrgEnterprise)
	reg["admin"].(map[string]any)["password"] = password
	account := reg["admin"].(map[string]any)["account"].(string)
	orgID := e.Must(201, "POST", "/api/v1/orgs", "", reg).Str("id")
	e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"account": account, "password": wrong})
	login := e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": account, "password": password}).JSON()
	access, refresh := login["access_token"].(string), login["refresh_token"].(string)
	e.Must(200, "GET", "/api/v1/auth/me", access, nil)
	e.Must(201, "POST", "/api/v1/orgs/"+orgID+"/users", access,
		map[string]string{"account": uniqueNo("m") + "@example.com", "password": password + "-m", "name": "成员"})
	// A secret in the query string must not reach the log through the path.
	e.Must(200, "GET", "/api/v1/demands?access_token="+access, "", nil)
	e.Must(401, "GET", "/api/v1/auth/me", access+"x", nil)
	rotated := e.Must(200, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}).JSON()
	access2, refresh2 := rotated["access_token"].(string), rotated["refresh_token"].(string)
	e.Must(401, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
	e.Must(204, "POST", "/api/v1/auth/logout", access2, map[string]string{"refresh_token": refresh2})
	e.Must(401, "GET", "/api/v1/auth/me", access2, nil)

	// Nor does the audit trail hold a hash or a password of the accounts
	// it records.
	trail := e.Must(200, "GET", "/api/v1/audit?limit=100", e.AdminToken, nil).Body
	if bcryptHash.Match(trail) || bytes.Contains(trail, []byte(password)) || !bytes.Contains(trail, []byte(`"add_user"`)) {
		t.Errorf("audit trail: %.500s", trail)
	}

	out := logs.String()
	if !strings.Contains(out, `"route":"/api/v1/auth/login"`) {
		t.Fatalf("the request log was not captured:\n%s", out)
	}
	for name, secret := range map[string]string{
		"password": password, "wrong password": wrong, "member password": password + "-m",
		"access token": access, "rotated access token": access2, "refresh token": refresh, "rotated refresh token": refresh2,
		// The signature alone is what makes a token usable.
		"access token signature": access[strings.LastIndexByte(access, '.')+1:],
		"Authorization header":   "Bearer ",
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
	if bcryptHash.MatchString(out) {
		t.Error("the log holds a password hash")
	}
}

// An Idempotency-Key belongs to its caller: another user sending the same
// key with the very same body acts for itself and never gets the first
// caller's stored answer.
func TestIdempotencyKeysArePerCaller(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	seller := e.NewOrg(market.OrgUniversity, true)
	opL := e.NewOrg(market.OrgOperator, true)
	ach := e.Publish("achievements", seller, opL, apptest.Achievement())
	body := map[string]string{"achievement_id": ach, "message": "希望洽谈"}
	a, b := e.NewOrg(market.OrgEnterprise, true), e.NewOrg(market.OrgEnterprise, true)
	first := e.Must(201, "POST", "/api/v1/intents", a.Token, body, "Idempotency-Key", "same-key")
	second := e.Must(201, "POST", "/api/v1/intents", b.Token, body, "Idempotency-Key", "same-key")
	if second.Header.Get("Idempotent-Replayed") != "" || second.Str("id") == first.Str("id") || second.Str("from_org_id") != b.ID {
		t.Fatalf("the second caller got the first one's answer: %s", second.Body)
	}
	if r := e.Must(201, "POST", "/api/v1/intents", a.Token, body, "Idempotency-Key", "same-key"); r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the first caller's replay was not replayed: %v", r.Header)
	}
}

// forge signs claims as an attacker would.
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Access tokens are HS256 JWTs with the issuer, a subject, a session and
// an expiry; anything else is a 401, even when it names a live session.
func TestForgedAccessTokensRefused(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	org := e.NewOrg(market.OrgEnterprise, true)
	secret := []byte(e.Sys.Cfg.JWTSecret)
	var real jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(org.Token, &real); err != nil {
		t.Fatal(err)
	}
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range real {
			c[k] = v
		}
		c["exp"] = time.Now().Add(10 * time.Minute).Unix()
		if edit != nil {
			edit(c)
		}
		return c
	}
	// The forging works: the same claims signed properly are accepted.
	e.Must(200, "GET", "/api/v1/auth/me", forge(t, jwt.SigningMethodHS256, secret, claims(nil)), nil)

	payload := org.Token[strings.IndexByte(org.Token, '.')+1 : strings.LastIndexByte(org.Token, '.')]
	rs256Header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(rs256Header + "." + payload))
	tampered, _ := json.Marshal(claims(func(c jwt.MapClaims) { c["sub"] = "01HZZZZZZZZZZZZZZZZZZZZZZZ" }))
	otherKey := []byte("another-secret-another-secret-0123456789")

	for name, token := range map[string]string{
		"alg none":                  forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)),
		"HS512 with the right key":  forge(t, jwt.SigningMethodHS512, secret, claims(nil)),
		"HS384 with the right key":  forge(t, jwt.SigningMethodHS384, secret, claims(nil)),
		"HS256 with another key":    forge(t, jwt.SigningMethodHS256, otherKey, claims(nil)),
		"RS256 header, HMAC of key": rs256Header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
		"expired":                   forge(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })),
		"no exp":                    forge(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"not yet valid":             forge(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })),
		"another issuer":            forge(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["iss"] = "someone-else" })),
		"no session":                forge(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { delete(c, "sid") })),
		"no subject":                forge(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { delete(c, "sub") })),
		"payload swapped, old sig":  org.Token[:strings.IndexByte(org.Token, '.')+1] + base64.RawURLEncoding.EncodeToString(tampered) + org.Token[strings.LastIndexByte(org.Token, '.'):],
		"signature stripped":        org.Token[:strings.LastIndexByte(org.Token, '.')+1],
		"refresh token as access":   e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": orgPassword}).Str("refresh_token"),
		"not a JWT":                 "garbage",
		"two tokens in one header":  org.Token + " " + org.Token,
	} {
		t.Run(name, func(t *testing.T) {
			r := e.Do("GET", "/api/v1/auth/me", token, nil)
			if r.Status != 401 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			// A bad token is refused on public routes too, rather than
			// silently treated as anonymous.
			if r := e.Do("GET", "/api/v1/demands", token, nil); r.Status != 401 {
				t.Fatalf("public route: status %d", r.Status)
			}
		})
	}
	for _, h := range []string{"bearer " + org.Token, "Basic " + org.Token, "Token " + org.Token, "Bearer", "Bearer ", "Bearer  " + org.Token, org.Token} {
		if r := e.Do("GET", "/api/v1/auth/me", "", nil, "Authorization", h); r.Status != 401 {
			t.Errorf("Authorization %.12q…: status %d", h, r.Status)
		}
	}
}

// A refresh token works once: of concurrent refreshes with it exactly one
// wins, and the old token, replayed later, is refused; logout kills the
// current one.
func TestRefreshTokenReuse(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		org := e.NewOrg(market.OrgEnterprise, true)
		r0 := e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": orgPassword}).Str("refresh_token")

		const n = 8
		statuses := make([]int, n)
		bodies := make([]*apptest.Response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				bodies[i] = e.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r0})
				statuses[i] = bodies[i].Status
			})
		}
		wg.Wait()
		ok := slices.Index(statuses, 200)
		if ok < 0 || slices.IndexFunc(statuses[ok+1:], func(s int) bool { return s == 200 }) >= 0 {
			t.Fatalf("concurrent refreshes with one token: %v, want exactly one 200", statuses)
		}
		for _, s := range statuses {
			if s != 200 && s != 401 {
				t.Fatalf("concurrent refreshes: %v", statuses)
			}
		}
		r1 := bodies[ok].Str("refresh_token")
		e.Must(401, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r0})
		next := e.Must(200, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r1}).JSON()
		e.Must(401, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r1})
		a2, r2 := next["access_token"].(string), next["refresh_token"].(string)
		e.Must(204, "POST", "/api/v1/auth/logout", a2, nil)
		e.Must(401, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r2})
	})
}

// A failed login takes about as long whether or not the account exists:
// the password is checked against a hash of the configured cost either
// way, so response times do not tell which accounts are registered.
func TestLoginTimingHidesAccounts(t *testing.T) {
	e := apptest.New(t, "sqlite", func(c *config.Config) { c.PasswordCost = 9 })
	org := e.NewOrg(market.OrgEnterprise, true)
	median := func(account string, n int) time.Duration {
		var ds []time.Duration
		for i := range n {
			acc := account
			if acc == "" {
				acc = uniqueNo("nobody") + "@example.com"
			}
			start := time.Now()
			e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"account": acc, "password": "wrong-pass-" + string(rune('a'+i))})
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	known, unknown := median(org.Account, 5), median("", 5)
	// Before the fix the gap was 25-fold (a cost-4 dummy hash); a 10-fold
	// margin still catches it and survives a loaded CI machine.
	if unknown*10 < known {
		t.Fatalf("failed login: %v for a registered account, %v for an unknown one: the time tells them apart", known, unknown)
	}
}

// The per-account login limit counts the account, not the text typed:
// an email signs in under any case on both databases (accounts are
// normalised), so "USER@…" reaches the same account as "user@…" and must
// spend the same budget.
func TestLoginLimitCountsTheAccountNotItsSpelling(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			e := apptest.New(t, b, func(c *config.Config) { c.LoginLimit = 4 })
			org := e.NewOrg(market.OrgEnterprise, true) // one login of the budget
			local, domain, _ := strings.Cut(org.Account, "@")
			upper := strings.ToUpper(local) + "@" + domain
			// Another spelling signs in to the very account.
			e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": upper, "password": orgPassword})
			for _, v := range []string{local + "@" + strings.ToUpper(domain), strings.ToUpper(org.Account)} {
				e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"account": v, "password": "wrong-pass-1"})
			}
			// Four attempts on the account: the budget is spent.
			if r := e.Do("POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": orgPassword}); r.Status != 429 {
				t.Fatalf("login after three attempts under other spellings: %d, want 429: %.200s", r.Status, r.Body)
			}
		})
	}
}

// TECHMARKET_CORS_ORIGINS is honoured: an allowed origin gets
// Access-Control-Allow-Origin back, on preflight and on the request, and
// another origin does not; credentials (cookies) are never allowed.
func TestCORSOrigins(t *testing.T) {
	e := apptest.New(t, "sqlite", func(c *config.Config) {
		c.CORSOrigins = "https://app.techmarket.example, https://ops.techmarket.example"
	})
	preflight := func(origin string) *apptest.Response {
		return e.Do("OPTIONS", "/api/v1/demands", "", nil, "Origin", origin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "Authorization, Content-Type, Idempotency-Key")
	}
	for _, origin := range []string{"https://app.techmarket.example", "https://ops.techmarket.example"} {
		r := preflight(origin)
		if r.Status/100 != 2 || r.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("preflight from %s: %d, Allow-Origin %q", origin, r.Status, r.Header.Get("Access-Control-Allow-Origin"))
		}
		if m := r.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "POST") {
			t.Errorf("preflight from %s: Allow-Methods %q", origin, m)
		}
		if h := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(h, "authorization") {
			t.Errorf("preflight from %s: Allow-Headers %q", origin, h)
		}
		g := e.Do("GET", "/api/v1/meta", "", nil, "Origin", origin)
		if g.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("GET from %s: Allow-Origin %q", origin, g.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	for _, origin := range []string{"https://evil.example", "https://app.techmarket.example.evil.example", "null", "http://app.techmarket.example"} {
		if got := preflight(origin).Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("preflight from %s: Allow-Origin %q", origin, got)
		}
		if got := e.Do("GET", "/api/v1/meta", "", nil, "Origin", origin).Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET from %s: Allow-Origin %q", origin, got)
		}
	}
	if got := preflight("https://app.techmarket.example").Header.Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("Allow-Credentials %q: bearer tokens need no credentials mode", got)
	}

	// The default, "*", lets any origin read the API (it uses bearer
	// tokens, never cookies).
	d := apptest.New(t, "sqlite", nil)
	if got := d.Do("GET", "/api/v1/meta", "", nil, "Origin", "https://anyone.example").Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("default Allow-Origin %q, want *", got)
	}
}

// X-Forwarded-For picks the rate-limit bucket only with
// TECHMARKET_TRUST_PROXY; otherwise a client could choose its own.
func TestForwardedForTrustedOnlyBehindProxy(t *testing.T) {
	// limited reports whether a 429 came within n requests, each with the
	// X-Forwarded-For that xff gives it.
	limited := func(n int, send func(xff string) int, xff func(i int) string) bool {
		for i := range n {
			if send(xff(i)) == 429 {
				return true
			}
		}
		return false
	}
	distinct := func(i int) string { return "203.0.113." + string(rune('1'+i)) }
	same := func(int) string { return "203.0.113.50" }
	meta := func(e *apptest.Env) func(string) int {
		return func(xff string) int { return e.Do("GET", "/api/v1/meta", "", nil, "X-Forwarded-For", xff).Status }
	}
	login := func(e *apptest.Env) func(string) int {
		return func(xff string) int {
			return e.Do("POST", "/api/v1/auth/login", "", map[string]string{"account": uniqueNo("x") + "@example.com", "password": "wrong-pass-1"},
				"X-Forwarded-For", xff).Status
		}
	}

	direct := apptest.New(t, "sqlite", func(c *config.Config) { c.RateLimit, c.LoginIPLimit = 3, 3 })
	if !limited(5, meta(direct), distinct) {
		t.Error("without TECHMARKET_TRUST_PROXY, a new X-Forwarded-For on each request escaped the API rate limit")
	}
	if !limited(5, login(direct), distinct) {
		t.Error("without TECHMARKET_TRUST_PROXY, a new X-Forwarded-For on each login escaped the per-IP login limit")
	}

	proxied := apptest.New(t, "sqlite", func(c *config.Config) {
		c.RateLimit, c.LoginIPLimit, c.TrustedProxies = 3, 3, []string{"0.0.0.0"} // the test connection's peer
	})
	if limited(5, meta(proxied), distinct) {
		t.Error("behind a trusted proxy, five clients with one request each were rate limited")
	}
	if !limited(5, meta(proxied), same) {
		t.Error("behind a trusted proxy, one client was not rate limited")
	}
	if !limited(5, login(proxied), same) {
		t.Error("behind a trusted proxy, one client was not login limited")
	}
}

// uploadPart sends a file as evidence with the part's own Content-Type.
func uploadPart(e *apptest.Env, token, transactionID, filename, contentType string, content []byte) *apptest.Response {
	e.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("kind", "contract")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(filename)+`"`)
	h.Set("Content-Type", contentType)
	pw, err := mw.CreatePart(h)
	if err != nil {
		e.T.Fatal(err)
	}
	_, _ = pw.Write(content)
	_ = mw.Close()
	return e.Do("POST", "/api/v1/transactions/"+transactionID+"/evidence", token, buf.Bytes(), "Content-Type", mw.FormDataContentType())
}

// An evidence file's name is only a label: path parts and control or
// bidi characters are dropped, the content is stored under its SHA-256,
// and its type comes from the bytes, never from the name or the part's
// Content-Type. (Size limits: TestEvidenceUploadLimit.)
func TestEvidenceFilenamesAreNotPaths(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	p := newParties(e)
	id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
	filesDir := filepath.Join(e.Sys.Cfg.DataDir, "files")

	for i, c := range []struct{ name, want string }{
		{"../../etc/passwd", "passwd"},
		{"../../../../../../tmp/evil.pdf", "evil.pdf"},
		{`..\..\windows\win.ini`, "win.ini"},
		{"/", "evidence"},
		{"..", "evidence"},
		{"invoice\u202Efdp.exe", "invoicefdp.exe"},
		{"a\tb.pdf", "ab.pdf"},
	} {
		content := pdf(c.name + string(rune('a'+i)))
		r := uploadPart(e, p.opL.Token, id, c.name, "application/pdf", content)
		if r.Status != 201 {
			t.Fatalf("upload %q: %d %s", c.name, r.Status, r.Body)
		}
		if got := r.Str("filename"); got != c.want {
			t.Errorf("upload %q: stored name %q, want %q", c.name, got, c.want)
		}
		sum := sha256.Sum256(content)
		key := r.Str("sha256")
		if key != hex.EncodeToString(sum[:]) {
			t.Errorf("upload %q: key %q is not the content's SHA-256", c.name, key)
		}
		if _, err := os.Stat(filepath.Join(filesDir, key[:2], key[2:4], key)); err != nil {
			t.Errorf("upload %q: not stored under its hash: %v", c.name, err)
		}
		d := e.Must(200, "GET", "/api/v1/transactions/"+id+"/evidence/"+r.Str("id"), p.opL.Token, nil)
		if cd := d.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || strings.ContainsAny(cd, "/\\\r\n") {
			t.Errorf("download of %q: Content-Disposition %q", c.name, cd)
		}
		if d.Header.Get("X-Content-Type-Options") != "nosniff" || d.Header.Get("Content-Type") != "application/pdf" {
			t.Errorf("download of %q: headers %v", c.name, d.Header)
		}
	}
	// Nothing was written outside the files directory's hash tree.
	err := filepath.WalkDir(e.Sys.Cfg.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n := d.Name(); n == "passwd" || n == "evil.pdf" || n == "win.ini" {
			t.Errorf("a file named after the upload exists: %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/tmp/evil.pdf"); err == nil {
		t.Error("/tmp/evil.pdf exists")
	}

	// The client's name and Content-Type do not make HTML a PDF.
	for _, body := range [][]byte{[]byte("<html><script>alert(1)</script></html>"), []byte("MZ\x90\x00 not a pdf"), []byte("#!/bin/sh\nrm -rf /\n")} {
		if r := uploadPart(e, p.opL.Token, id, "contract.pdf", "application/pdf", body); r.Status != 422 {
			t.Errorf("upload of %.10q as contract.pdf: %d, want 422", body, r.Status)
		}
	}
}

// The per-IP login budget counts failed attempts only: many people behind
// one address who sign in correctly never exhaust it, and failures still
// do. An account longer than 254 bytes is a 422 naming the field before it
// is looked up or spends any budget.
func TestLoginIPLimitCountsFailuresOnly(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			e := apptest.New(t, b, func(c *config.Config) { c.LoginIPLimit, c.LoginLimit = 3, 100 })
			org := e.NewOrg(market.OrgEnterprise, true)
			login := func(account, password string) *apptest.Response {
				return e.Do("POST", "/api/v1/auth/login", "", map[string]string{"account": account, "password": password})
			}
			for i := range 8 {
				if r := login(org.Account, "pass-word-1"); r.Status != 200 {
					t.Fatalf("correct login %d: %d %s", i, r.Status, r.Body)
				}
			}
			long := strings.Repeat("a", 250) + "@x.cn" // 255 bytes
			for range 5 {
				r := login(long, "wrong-pass-1")
				if r.Status != 422 || !hasField(r, "account") {
					t.Fatalf("a 255-byte account: %d %s", r.Status, r.Body)
				}
			}
			for i := range 3 {
				if r := login(uniqueNo("nobody")+"@example.com", "wrong-pass-1"); r.Status != 401 {
					t.Fatalf("failed login %d: %d %s", i, r.Status, r.Body)
				}
			}
			r := login(uniqueNo("nobody")+"@example.com", "wrong-pass-1")
			if r.Status != 429 || r.Header.Get("Retry-After") == "" {
				t.Fatalf("the fourth failure from one address: %d %s", r.Status, r.Body)
			}
			// Spent by failures, the address is refused even a correct login.
			if r := login(org.Account, "pass-word-1"); r.Status != 429 {
				t.Fatalf("a correct login once the address's failures are spent: %d", r.Status)
			}
		})
	}
}

// TECHMARKET_TRUST_PROXY lists the proxies: the client IP is the right-most
// X-Forwarded-For entry that is not one of them, so a client that sends an
// X-Forwarded-For of its own only adds entries to the left, and cannot pick
// its rate-limit key; a peer that is not a listed proxy is believed about
// nothing.
func TestTrustedProxyChain(t *testing.T) {
	meta := func(e *apptest.Env, xff string) int {
		return e.Do("GET", "/api/v1/meta", "", nil, "X-Forwarded-For", xff).Status
	}
	// The test connection (0.0.0.0) is the edge proxy; 10.0.0.0/8 are the
	// proxies behind it.
	chain := apptest.New(t, "sqlite", func(c *config.Config) { c.RateLimit, c.TrustedProxies = 3, []string{"0.0.0.0", "10.0.0.0/8"} })
	limited := false
	for i := range 6 {
		// The client forges a new left-most address each time; the hop our
		// proxy saw (203.0.113.9) stays the same.
		if meta(chain, fmt.Sprintf("198.51.100.%d, 203.0.113.9, 10.1.2.3", i)) == 429 {
			limited = true
		}
	}
	if !limited {
		t.Error("forged left-most X-Forwarded-For entries escaped the rate limit")
	}
	for i := range 3 { // other clients through the same proxies keep their own budgets
		if s := meta(chain, fmt.Sprintf("203.0.113.%d, 10.1.2.3", 100+i)); s != 200 {
			t.Errorf("client %d behind the proxies: %d", i, s)
		}
	}

	// The peer is not a listed proxy: X-Forwarded-For is ignored.
	untrusted := apptest.New(t, "sqlite", func(c *config.Config) { c.RateLimit, c.TrustedProxies = 3, []string{"10.0.0.0/8"} })
	limited = false
	for i := range 6 {
		if meta(untrusted, fmt.Sprintf("203.0.113.%d", i)) == 429 {
			limited = true
		}
	}
	if !limited {
		t.Error("X-Forwarded-For from a peer that is no trusted proxy picked the rate-limit key")
	}
}
