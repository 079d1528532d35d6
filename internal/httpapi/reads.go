package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/cache"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Entry lifetimes of the read cache. Entries are found through the current
// version token, so these only bound memory and how long a write made
// outside any server (the seed command) takes to reach a cached page.
const (
	itemEntryTTL = 10 * time.Minute
	listEntryTTL = time.Minute
)

// sharesPublicView reports whether the actor's view of a published item is
// the anonymous one (no contact details), unless the actor owns it:
// everyone but platform admins and members of verified orgs
// (market.CanSeeContact).
func sharesPublicView(a *market.Actor) bool {
	return a == nil || (!a.PlatformAdmin && !a.IsVerifiedOrg())
}

// versionTag is the weak ETag of a cached representation.
func versionTag(token string) string { return `W/"v` + token + `"` }

// notModified reports whether the request's If-None-Match names tag.
func notModified(c *fiber.Ctx, tag string) bool {
	inm := c.Get(fiber.HeaderIfNoneMatch)
	if inm == "" {
		return false
	}
	weak := strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == tag || t == weak {
			return true
		}
	}
	return false
}

// sendCached answers body (JSON) with the version tag, or 304 when the
// client holds it.
func sendCached(c *fiber.Ctx, tag string, body []byte) error {
	c.Set(fiber.HeaderETag, tag)
	if notModified(c, tag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

// cachedItem serves GET /{kind}/{id} from the read cache when the caller
// shares the public view. It reports false when the normal path must
// answer: no cache, a change in flight, the cache unreachable, an item that
// is not published or that the caller owns. The cache only ever holds the
// anonymous view of published items: never a draft, never contact details.
func (h itemHandlers) cachedItem(c *fiber.Ctx) (bool, error) {
	r := h.s.deps.Reads
	a := market.ActorFrom(c.UserContext())
	if r == nil || !sharesPublicView(a) {
		return false, nil
	}
	ctx, id, kind := c.UserContext(), c.Params("id"), string(h.kind)
	token, err := r.V.Version(ctx, cache.ItemVersionKey(kind, id))
	if err != nil || token == "" {
		return false, nil
	}
	tag := versionTag(token)
	if a == nil && notModified(c, tag) {
		// The token is current, so the representation it names is too:
		// no body, no database.
		c.Set(fiber.HeaderETag, tag)
		return true, c.SendStatus(fiber.StatusNotModified)
	}
	key := "rc:i:" + kind + ":" + id + ":" + token
	if v, err := r.Get(ctx, key); err == nil {
		owner, body, _ := bytes.Cut(v, []byte{'\n'})
		if a != nil && a.OrgID == string(owner) {
			return false, nil
		}
		return true, sendCached(c, tag, body)
	}
	it, err := h.s.deps.Items.FindItem(market.WithActor(ctx, nil), h.kind, id)
	var me *market.Error
	if errors.As(err, &me) && me.Code == market.ENOTFOUND && a != nil {
		return false, nil // perhaps the caller's own draft
	}
	if err != nil {
		return true, err
	}
	body, err := json.Marshal(it)
	if err != nil {
		return true, err
	}
	r.Put(ctx, key, append(append([]byte(it.OrgID), '\n'), body...), itemEntryTTL)
	if a != nil && a.OrgID == it.OrgID {
		return false, nil
	}
	return true, sendCached(c, tag, body)
}

// cachedList serves an anonymous list page from the read cache, under the
// kind's list generation. Signed-in callers see their own items too, so
// only anonymous pages are cached.
func (h itemHandlers) cachedList(c *fiber.Ctx, f market.ItemFilter) (bool, error) {
	r := h.s.deps.Reads
	if r == nil || market.ActorFrom(c.UserContext()) != nil {
		return false, nil
	}
	ctx, kind := c.UserContext(), string(h.kind)
	token, err := r.V.Version(ctx, cache.ListVersionKey(kind))
	if err != nil || token == "" {
		return false, nil
	}
	tag := versionTag(token)
	if notModified(c, tag) {
		c.Set(fiber.HeaderETag, tag)
		return true, c.SendStatus(fiber.StatusNotModified)
	}
	key := strings.Join([]string{"rc:l:" + kind, token, f.Industry, f.Status, f.OrgID, f.RegionCode,
		f.Page.After, strconv.Itoa(f.Page.Limit)}, "|")
	if body, err := r.Get(ctx, key); err == nil {
		return true, sendCached(c, tag, body)
	}
	page, err := h.s.deps.Items.ListItems(ctx, f)
	if err != nil {
		return true, err
	}
	body, err := json.Marshal(page)
	if err != nil {
		return true, err
	}
	r.Put(ctx, key, body, listEntryTTL)
	return true, sendCached(c, tag, body)
}
