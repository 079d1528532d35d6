package httpapi_test

import (
	"os"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// listed reports whether id is on the page.
func listed(items []map[string]any, id string) bool {
	for _, it := range items {
		if it["id"] == id {
			return true
		}
	}
	return false
}

// A conditional GET of a cached item or list page is answered 304 without
// the database: the test closes the database and the 304s (and the cached
// 200s) still come, while a read the cache cannot answer fails.
func TestReadCacheConditionalGETWithoutDatabase(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		uni := e.NewOrg(market.OrgUniversity, true)
		op := e.NewOrg(market.OrgOperator, true)
		id := e.Publish("achievements", uni, op, apptest.Achievement())
		list := "/api/v1/achievements?industry=automotive&limit=20"
		first := e.Must(200, "GET", "/api/v1/achievements/"+id, "", nil)
		tag := first.Header.Get("ETag")
		if !strings.HasPrefix(tag, `W/"v`) {
			t.Fatalf("ETag %q is not a version tag", tag)
		}
		listTag := e.Must(200, "GET", list, "", nil).Header.Get("ETag")
		draft := e.Must(201, "POST", "/api/v1/achievements", uni.Token, apptest.Achievement()).Str("id")

		if err := e.Sys.DB.SQL().Close(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ path, tag string }{{"/api/v1/achievements/" + id, tag}, {list, listTag}} {
			r := e.Do("GET", c.path, "", nil, "If-None-Match", c.tag)
			if r.Status != 304 || len(r.Body) != 0 || r.Header.Get("ETag") != c.tag {
				t.Fatalf("%s with If-None-Match and the database closed: %d, %d bytes, ETag %q", c.path, r.Status, len(r.Body), r.Header.Get("ETag"))
			}
		}
		if r := e.Must(200, "GET", "/api/v1/achievements/"+id, "", nil); string(r.Body) != string(first.Body) {
			t.Fatalf("cached body differs: %s", r.Body)
		}
		// Proof that the database is really gone: an uncached read fails.
		if r := e.Do("GET", "/api/v1/achievements/"+draft, "", nil); r.Status != 500 {
			t.Fatalf("uncached read with the database closed: %d", r.Status)
		}
	})
}

// Contact details and drafts never reach a viewer through the cache: the
// cache is filled by a verified viewer's and the owner's reads first.
func TestReadCacheKeepsVisibility(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		stranger := e.NewOrg(market.OrgEnterprise, false)
		id := e.Publish("demands", ent, op, apptest.Demand())
		path := "/api/v1/demands/" + id
		for round := range 2 {
			if e.Must(200, "GET", path, ent.Token, nil).JSON()["contact"] == nil {
				t.Fatalf("round %d: the owner does not see its contact", round)
			}
			if e.Must(200, "GET", path, op.Token, nil).JSON()["contact"] == nil {
				t.Fatalf("round %d: a verified operator does not see the contact", round)
			}
			for who, tok := range map[string]string{"anonymous": "", "unverified org": stranger.Token} {
				if r := e.Must(200, "GET", path, tok, nil); r.JSON()["contact"] != nil || strings.Contains(string(r.Body), "13877200000") {
					t.Fatalf("round %d: %s sees the contact: %s", round, who, r.Body)
				}
			}
			for _, it := range e.Must(200, "GET", "/api/v1/demands", "", nil).Items() {
				if it["contact"] != nil {
					t.Fatalf("round %d: anonymous list shows a contact: %v", round, it)
				}
			}
		}
		// An unverified owner's draft: the owner sees it, nobody else.
		draft := e.Must(201, "POST", "/api/v1/demands", stranger.Token, apptest.Demand()).Str("id")
		for range 2 {
			if e.Must(200, "GET", "/api/v1/demands/"+draft, stranger.Token, nil).JSON()["status"] != "draft" {
				t.Fatal("the owner does not see its draft")
			}
			e.Must(404, "GET", "/api/v1/demands/"+draft, "", nil)
			if listed(e.Must(200, "GET", "/api/v1/demands", "", nil).Items(), draft) {
				t.Fatal("anonymous list shows a draft")
			}
		}
		// An edit by the owner is seen at once, and the old tag no longer
		// matches.
		tag := e.Must(200, "GET", path, "", nil).Header.Get("ETag")
		e.Must(200, "PATCH", path, ent.Token, map[string]any{"title": "改过的标题：车身减重"})
		r := e.Do("GET", path, "", nil, "If-None-Match", tag)
		if r.Status != 200 || r.JSON()["title"] != "改过的标题：车身减重" {
			t.Fatalf("after an edit: %d %s", r.Status, r.Body)
		}
	})
}

// Two instances on one MariaDB and Redis: an edit acknowledged by A is
// what B answers at once, and a close on A takes the item off B's list and
// page at once, however warm B's cache was.
func TestReadCacheFreshAcrossInstances(t *testing.T) {
	if os.Getenv(storetest.MySQLEnv) == "" || os.Getenv(apptest.RedisEnv) == "" {
		t.Skipf("%s and %s must be set: two instances share MariaDB and Redis", storetest.MySQLEnv, apptest.RedisEnv)
	}
	cfg := apptest.Config(t, store.DialectMySQL)
	a := apptest.NewWithConfig(t, cfg)
	b := apptest.NewWithConfig(t, cfg)
	uni := a.NewOrg(market.OrgUniversity, true)
	op := a.NewOrg(market.OrgOperator, true)
	id := a.Publish("achievements", uni, op, apptest.Achievement())
	path := "/api/v1/achievements/" + id
	list := "/api/v1/achievements?industry=automotive&limit=20"
	for i := range 20 {
		b.Must(200, "GET", path, "", nil)
		b.Must(200, "GET", list, "", nil)
		title := "第" + string(rune('A'+i)) + "版：碳纤维车身轻量化"
		a.Must(200, "PATCH", path, uni.Token, map[string]any{"title": title})
		if got := b.Must(200, "GET", path, "", nil).Str("title"); got != title {
			t.Fatalf("edit %d: B answers %q, want %q", i, got, title)
		}
		for _, it := range b.Must(200, "GET", list, "", nil).Items() {
			if it["id"] == id && it["title"] != title {
				t.Fatalf("edit %d: B's list has %q", i, it["title"])
			}
		}
	}
	tag := b.Must(200, "GET", path, "", nil).Header.Get("ETag")
	if !listed(b.Must(200, "GET", list, "", nil).Items(), id) {
		t.Fatal("B's list lacks the published item")
	}
	a.Must(200, "POST", path+"/close", uni.Token, nil)
	if listed(b.Must(200, "GET", list, "", nil).Items(), id) {
		t.Fatal("B still lists the item A closed")
	}
	if r := b.Do("GET", path, "", nil, "If-None-Match", tag); r.Status != 404 {
		t.Fatalf("B answers a closed item with %d", r.Status)
	}
}
