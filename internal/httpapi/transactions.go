package httpapi

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// createTransaction: POST /transactions. Operators log offline deals of
// their market; parties create online deals, optionally from an intent.
func (s *Server) createTransaction(c *fiber.Ctx) (any, error) {
	var in market.NewTransaction
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Transactions.CreateTransaction(c.UserContext(), in)
}

// listTransactions: GET /transactions with filters; the answer carries
// totals over every matching deal.
func (s *Server) listTransactions(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	f := market.TransactionFilter{
		Market: c.Query("market"), Channel: c.Query("channel"), ContractType: c.Query("contract_type"),
		Status: c.Query("status"), BuyerOrgID: c.Query("buyer_org_id"), SellerOrgID: c.Query("seller_org_id"),
		SignedFrom: c.Query("signed_from"), SignedTo: c.Query("signed_to"), Page: pr,
	}
	return s.deps.Transactions.ListTransactions(c.UserContext(), f)
}

func (s *Server) getTransaction(c *fiber.Ctx) (any, error) {
	return s.deps.Transactions.FindTransaction(c.UserContext(), c.Params("id"))
}

// registerTransaction: POST /transactions/{id}/register {registration_no,
// registered_at, certified_tech_amount_fen?}.
func (s *Server) registerTransaction(c *fiber.Ctx) (any, error) {
	var r market.TransactionRegistration
	if err := s.decode(c, &r, false); err != nil {
		return nil, err
	}
	return s.deps.Transactions.RegisterTransaction(c.UserContext(), c.Params("id"), r)
}

// addPayment: POST /transactions/{id}/payments {amount_fen, paid_at,
// voucher_no}; answers 201 with the deal as it now is.
func (s *Server) addPayment(c *fiber.Ctx) (any, error) {
	var p market.NewPayment
	if err := s.decode(c, &p, false); err != nil {
		return nil, err
	}
	return s.deps.Transactions.AddPayment(c.UserContext(), c.Params("id"), p)
}

// completeTransaction: POST /transactions/{id}/complete, empty body or {}.
func (s *Server) completeTransaction(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Transactions.CompleteTransaction(c.UserContext(), c.Params("id"))
}

// cancelTransaction: POST /transactions/{id}/cancel {reason}.
func (s *Server) cancelTransaction(c *fiber.Ctx) (any, error) {
	var in market.Cancellation
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Transactions.CancelTransaction(c.UserContext(), c.Params("id"), in)
}

// confirmTransaction: POST /transactions/{id}/confirm, empty body or {}:
// the other party agrees to a pending online deal.
func (s *Server) confirmTransaction(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Transactions.ConfirmTransaction(c.UserContext(), c.Params("id"))
}

// declineTransaction: POST /transactions/{id}/decline {reason}: the other
// party refuses a pending online deal.
func (s *Server) declineTransaction(c *fiber.Ctx) (any, error) {
	var in market.Cancellation
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Transactions.DeclineTransaction(c.UserContext(), c.Params("id"), in)
}

// confirmPayment: POST /transactions/{id}/payments/{payment_id}/confirm,
// empty body or {}; answers 200 with the deal as it now is.
func (s *Server) confirmPayment(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Transactions.ConfirmPayment(c.UserContext(), c.Params("id"), c.Params("payment_id"))
}

// addEvidence: POST /transactions/{id}/evidence, multipart/form-data with
// the field file and the field kind.
func (s *Server) addEvidence(c *fiber.Ctx) (any, error) {
	fh, f, err := s.formFile(c, "send the evidence as multipart/form-data with the fields file and kind")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	up := market.EvidenceUpload{Kind: c.FormValue("kind"), Filename: fh.Filename}
	return s.deps.Evidence.AddEvidence(c.UserContext(), c.Params("id"), up, f)
}

func (s *Server) listEvidence(c *fiber.Ctx) error {
	list, err := s.deps.Evidence.ListEvidence(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

// getEvidence streams one file as an attachment under its own name.
func (s *Server) getEvidence(c *fiber.Ctx) error {
	ev, rc, err := s.deps.Evidence.OpenEvidence(c.UserContext(), c.Params("id"), c.Params("eid"))
	if err != nil {
		return err
	}
	return sendFile(c, ev.Filename, ev.ContentType, ev.SHA256, ev.Size, rc)
}

// formFile opens the multipart field file, within the upload limit; hint
// tells a client that sent no multipart body what to send.
func (s *Server) formFile(c *fiber.Ctx, hint string) (*multipart.FileHeader, multipart.File, error) {
	fh, err := c.FormFile("file")
	switch {
	case errors.Is(err, fasthttp.ErrNoMultipartForm):
		return nil, nil, market.Errorf(market.EBADREQUEST, "%s", hint)
	case errors.Is(err, fasthttp.ErrMissingFile):
		return nil, nil, market.Invalid("file", "is required: a PDF, JPEG or PNG file")
	case err != nil:
		return nil, nil, market.Errorf(market.EBADREQUEST, "the multipart body could not be read")
	case fh.Size > int64(s.cfg.UploadLimit):
		return nil, nil, &market.Error{Code: market.ETOOLARGE, Message: "the file is larger than the upload limit",
			Fields: []market.FieldError{{Field: "file", Message: "larger than the upload limit"}}}
	case fh.Size == 0:
		return nil, nil, market.Invalid("file", "is empty")
	}
	f, err := fh.Open()
	return fh, f, err
}

// sendFile streams a stored file as an attachment under its own name.
func sendFile(c *fiber.Ctx, filename, contentType, sha string, size int64, rc io.ReadCloser) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set("X-Content-SHA256", sha)
	// fasthttp closes the stream once the response is written.
	return c.SendStream(rc, int(size))
}
