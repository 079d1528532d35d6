package httpapi_test

import (
	"context"
	"errors"
	"io"
	"iter"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/httpapi"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// A client whose access token has expired refreshes, and mobile clients
// keep sending the old Authorization header while they do: login and
// refresh read their body and ignore the header. Other public routes still
// refuse a bad token with 401.
func TestStaleTokenOnLoginAndRefresh(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		org := e.NewOrg(market.OrgEnterprise, true)
		login := e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": orgPassword}).JSON()
		access, refresh := login["access_token"].(string), login["refresh_token"].(string)
		// A session that has ended leaves a token that no longer verifies.
		e.Must(204, "POST", "/api/v1/auth/logout", access, nil)
		e.Must(401, "GET", "/api/v1/auth/me", access, nil)

		for _, stale := range []string{access, "not-a-jwt"} {
			tokens := e.Must(200, "POST", "/api/v1/auth/login", stale,
				map[string]string{"account": org.Account, "password": orgPassword}).JSON()
			next := e.Must(200, "POST", "/api/v1/auth/refresh", stale,
				map[string]string{"refresh_token": tokens["refresh_token"].(string)}).JSON()
			e.Must(200, "GET", "/api/v1/auth/me", next["access_token"].(string), nil)
		}
		// A header that is not a bearer token at all does not matter either.
		e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": orgPassword},
			"Authorization", "Basic dXNlcjpwYXNz")
		// The refresh token of the ended session stays dead whatever the header.
		e.Must(401, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
		// Other public routes still say the token is bad.
		for _, path := range []string{"/api/v1/demands", "/api/v1/meta", "/api/v1/catalogs"} {
			e.Must(401, "GET", path, access, nil)
		}
		e.Must(401, "POST", "/api/v1/orgs", access, e.Registration(market.OrgEnterprise))
	})
}

// metricCount returns the request counter of one method, route and status
// as /metrics shows it, or "" when there is none.
func metricCount(t *testing.T, e *apptest.Env, method, route, status string) string {
	t.Helper()
	body := string(e.Must(200, "GET", "/metrics", "", nil).Body)
	re := regexp.MustCompile(`techmarket_http_requests_total\{method="` + method + `",route="` + regexp.QuoteMeta(route) +
		`",status="` + status + `"\} (\d+)`)
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// Requests that middleware refused are counted under the route they asked
// for, not "/"; requests that match no route are "unmatched".
func TestMetricsLabelRefusalsByRoute(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		e.Must(401, "GET", "/api/v1/demands/01HZZZZZZZZZZZZZZZZZZZZZZZ", "bad-token", nil)
		e.Must(401, "GET", "/api/v1/demands/01HZZZZZZZZZZZZZZZZZZZZZZY", "bad-token", nil)
		e.Must(401, "POST", "/api/v1/orgs/01HZZZZZZZZZZZZZZZZZZZZZZZ/verify", "bad-token", nil)
		e.Must(404, "GET", "/api/v1/no-such-thing", "", nil)
		e.Must(401, "GET", "/api/v1/no-such-thing", "bad-token", nil)
		e.Must(200, "GET", "/api/v1/meta", "", nil)

		if n := metricCount(t, e, "GET", "/api/v1/demands/:id", "401"); n != "2" {
			t.Errorf("GET /api/v1/demands/:id 401 counted %q times, want 2", n)
		}
		if n := metricCount(t, e, "POST", "/api/v1/orgs/:id/verify", "401"); n != "1" {
			t.Errorf("POST /api/v1/orgs/:id/verify 401 counted %q times, want 1", n)
		}
		if n := metricCount(t, e, "GET", "unmatched", "404"); n != "1" {
			t.Errorf("unmatched 404 counted %q times, want 1", n)
		}
		if n := metricCount(t, e, "GET", "unmatched", "401"); n != "1" {
			t.Errorf("unmatched 401 counted %q times, want 1", n)
		}
		if n := metricCount(t, e, "GET", "/api/v1/meta", "200"); n != "1" {
			t.Errorf("GET /api/v1/meta 200 counted %q times, want 1", n)
		}
		body := string(e.Must(200, "GET", "/metrics", "", nil).Body)
		if strings.Contains(body, `route="/"`) {
			t.Errorf("a request is still counted under route \"/\":\n%s", grepLines(body, `route="/"`))
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The gzip and the plain answer share one tag, so it is weak; sending it
// back still gives 304, compressed or not.
func TestWeakETag(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		plain := e.Must(200, "GET", "/api/v1/meta", "", nil)
		zipped := e.Must(200, "GET", "/api/v1/meta", "", nil, "Accept-Encoding", "gzip")
		if zipped.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("meta not compressed: %v", zipped.Header)
		}
		tag := plain.Header.Get("ETag")
		if !strings.HasPrefix(tag, `W/"`) || zipped.Header.Get("ETag") != tag {
			t.Fatalf("ETags %q (plain) and %q (gzip), want one weak tag", tag, zipped.Header.Get("ETag"))
		}
		for _, enc := range []string{"", "gzip"} {
			r := e.Do("GET", "/api/v1/meta", "", nil, "If-None-Match", tag, "Accept-Encoding", enc)
			if r.Status != 304 || len(r.Body) != 0 {
				t.Fatalf("If-None-Match %s (Accept-Encoding %q): %d with %d bytes", tag, enc, r.Status, len(r.Body))
			}
		}
		if r := e.Do("GET", "/api/v1/meta", "", nil, "If-None-Match", `W/"0-0"`); r.Status != 200 {
			t.Fatalf("a stale tag: %d", r.Status)
		}
	})
}

// failingCatalogs is the real catalog service whose item stream breaks
// after a few items, as a database that goes away mid-export would.
type failingCatalogs struct {
	market.CatalogService
	after int
}

var errExportBroke = errors.New("the database went away")

func (f failingCatalogs) CatalogItems(ctx context.Context, c *market.Catalog) iter.Seq2[*market.CatalogItem, error] {
	return func(yield func(*market.CatalogItem, error) bool) {
		n := 0
		for it, err := range f.CatalogService.CatalogItems(ctx, c) {
			if err == nil && n == f.after {
				err = errExportBroke
			}
			if !yield(it, err) || err != nil {
				return
			}
			n++
		}
	}
}

// An export that fails midway must not reach the client as a complete
// file, whether or not the client accepts gzip: the response is cut off,
// so the client sees an error instead of a clean, truncated 200.
func TestExportFailureIsNotComplete(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		for _, title := range []string{"发动机缸体铸造工艺改进", "车身轻量化材料需求", "车灯模具寿命提升"} {
			e.Publish("demands", ent, op, demand(title, nil))
		}
		id := e.Must(201, "POST", "/api/v1/catalogs", op.Token, catalogBody()).Str("id")
		e.Must(200, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, nil)

		srv := httpapi.New(httpapi.Deps{
			Catalogs: failingCatalogs{CatalogService: e.Sys.Catalogs, after: 2}, Auth: e.Sys.Auth,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		}, httpapi.Config{BodyLimit: 1 << 20})
		for _, format := range []string{"csv", "json", "xlsx"} {
			for _, enc := range []string{"", "gzip"} {
				req := httptest.NewRequest("GET", "/api/v1/catalogs/"+id+"/export?format="+format, nil)
				if enc != "" {
					req.Header.Set("Accept-Encoding", enc)
				}
				res, err := srv.App.Test(req, -1)
				if err != nil {
					continue // cut off before the head: not complete either
				}
				_, err = io.ReadAll(res.Body)
				res.Body.Close()
				if ce := res.Header.Get("Content-Encoding"); ce != "" {
					t.Errorf("%s export (Accept-Encoding %q) sent with Content-Encoding %q", format, enc, ce)
				}
				if err == nil {
					t.Errorf("%s export (Accept-Encoding %q) failed midway but read as a complete %d response", format, enc, res.StatusCode)
				}
			}
		}
		// The same export through the real service is whole.
		e.Must(200, "GET", "/api/v1/catalogs/"+id+"/export?format=csv", "", nil, "Accept-Encoding", "gzip")
	})
}
