package httpapi

import (
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/export"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Catalogs: POST and GET /catalogs, GET and PATCH /catalogs/{id}, POST
// /catalogs/{id}/publish, GET /catalogs/{id}/items and GET
// /catalogs/{id}/export.

func (s *Server) createCatalog(c *fiber.Ctx) (any, error) {
	var in market.CatalogInput
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Catalogs.CreateCatalog(c.UserContext(), in)
}

func (s *Server) updateCatalog(c *fiber.Ctx) (any, error) {
	var in market.CatalogInput
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Catalogs.UpdateCatalog(c.UserContext(), c.Params("id"), in)
}

func (s *Server) getCatalog(c *fiber.Ctx) (any, error) {
	return s.deps.Catalogs.FindCatalog(c.UserContext(), c.Params("id"))
}

func (s *Server) listCatalogs(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Catalogs.ListCatalogs(c.UserContext(), market.CatalogListFilter{
		Kind: c.Query("kind"), Period: c.Query("period"), Market: c.Query("market"), Status: c.Query("status"), Page: pr,
	})
}

func (s *Server) publishCatalog(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Catalogs.PublishCatalog(c.UserContext(), c.Params("id"))
}

func (s *Server) listCatalogItems(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Catalogs.ListCatalogItems(c.UserContext(), c.Params("id"), pr)
}

// exportCatalog streams the export. Everything that can fail with a
// problem document (format, visibility) is checked first; then a goroutine
// writes the file into a pipe the server sends from, batch by batch. It may
// not touch c, which Fiber recycles when the handler returns. If the export
// fails midway the pipe is closed with the error, so the server aborts the
// response instead of ending it as if it were complete.
func (s *Server) exportCatalog(c *fiber.Ctx) error {
	f, err := export.ParseFormat(c.Query("format"))
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	cat, err := s.deps.Catalogs.FindCatalog(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if cat.Status == market.CatalogPublished && cat.PublishedAt != nil {
		// A published catalog never changes, so its publication names the
		// file: a client that holds it gets a 304 and the items are not
		// read. Weak, as an XLSX need not be the same bytes twice. A draft
		// is a live preview and carries no validator.
		tag := exportTag(cat, f)
		c.Set(fiber.HeaderETag, tag)
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		if notModified(c, tag) {
			return c.SendStatus(fiber.StatusNotModified)
		}
	} else {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	items := s.deps.Catalogs.CatalogItems(ctx, cat)
	c.Set(fiber.HeaderContentType, f.ContentType())
	c.Set(fiber.HeaderContentDisposition, export.ContentDisposition(cat, f))
	pr, pw := io.Pipe()
	log, id := s.deps.Log, cat.ID
	go func() {
		err := export.Write(pw, f, cat, items)
		if err != nil && !isClosedPipe(err) {
			log.Error("catalog export failed", "catalog_id", id, "format", f, "err", err)
		}
		pw.CloseWithError(err)
	}()
	c.Context().SetBodyStream(pr, -1)
	return nil
}

// exportTag is the validator of a published catalog's export in format f.
func exportTag(cat *market.Catalog, f export.Format) string {
	return `W/"c` + cat.ID + "." + strconv.FormatInt(cat.PublishedAt.UnixMicro(), 36) + "." + string(f) + `"`
}

func isClosedPipe(err error) bool { return errors.Is(err, io.ErrClosedPipe) }

// streamsBody reports whether a route streams its response body. The ETag
// middleware must skip those: it hashes the whole body, which would pull a
// stream into memory.
func streamsBody(c *fiber.Ctx) bool {
	// Routing ignores case and a trailing slash (Fiber's defaults), so the
	// check must too: /API/V1/Catalogs/x/EXPORT/ reaches the export.
	p := strings.TrimSuffix(strings.ToLower(c.Path()), "/")
	return (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) &&
		((strings.HasPrefix(p, "/api/v1/catalogs/") && strings.HasSuffix(p, "/export")) ||
			(strings.HasPrefix(p, "/api/v1/auctions/") && strings.HasSuffix(p, "/events")))
}
