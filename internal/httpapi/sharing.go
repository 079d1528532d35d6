package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Instruments, bookings, services and service orders (SPEC "Instruments
// and testing services").

func (s *Server) createInstrument(c *fiber.Ctx) (any, error) {
	var in market.InstrumentInput
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Instruments.CreateInstrument(c.UserContext(), in)
}

// updateInstrument: PATCH /instruments/{id}; the owner changes any field,
// an operator the status.
func (s *Server) updateInstrument(c *fiber.Ctx) (any, error) {
	var in market.InstrumentInput
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Instruments.UpdateInstrument(c.UserContext(), c.Params("id"), in)
}

func (s *Server) listInstruments(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Instruments.ListInstruments(c.UserContext(), market.InstrumentFilter{
		Category: c.Query("category"), RegionCode: c.Query("region_code"), OrgID: c.Query("org_id"),
		Status: c.Query("status"), Q: c.Query("q"), Page: pr})
}

func (s *Server) getInstrument(c *fiber.Ctx) (any, error) {
	return s.deps.Instruments.FindInstrument(c.UserContext(), c.Params("id"))
}

func (s *Server) createBooking(c *fiber.Ctx) (any, error) {
	var in market.NewBooking
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Bookings.CreateBooking(c.UserContext(), c.Params("id"), in)
}

func (s *Server) listBookings(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Bookings.ListBookings(c.UserContext(), market.BookingFilter{
		Role: c.Query("role"), Status: c.Query("status"), InstrumentID: c.Query("instrument_id"), Page: pr})
}

func (s *Server) getBooking(c *fiber.Ctx) (any, error) {
	return s.deps.Bookings.FindBooking(c.UserContext(), c.Params("id"))
}

func (s *Server) confirmBooking(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Bookings.ConfirmBooking(c.UserContext(), c.Params("id"))
}

func (s *Server) declineBooking(c *fiber.Ctx) (any, error) {
	var in market.Cancellation
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Bookings.DeclineBooking(c.UserContext(), c.Params("id"), in)
}

func (s *Server) cancelBooking(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Bookings.CancelBooking(c.UserContext(), c.Params("id"))
}

func (s *Server) completeBooking(c *fiber.Ctx) (any, error) {
	var in market.Completion
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Bookings.CompleteBooking(c.UserContext(), c.Params("id"), in)
}

func (s *Server) reviewBooking(c *fiber.Ctx) (any, error) {
	var in market.BookingReview
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Bookings.ReviewBooking(c.UserContext(), c.Params("id"), in)
}

func (s *Server) createService(c *fiber.Ctx) (any, error) {
	var in market.NewService
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Services.CreateService(c.UserContext(), in)
}

func (s *Server) listServices(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Services.ListServices(c.UserContext(), market.ServiceFilter{Kind: c.Query("kind"), OrgID: c.Query("org_id"), Page: pr})
}

func (s *Server) getService(c *fiber.Ctx) (any, error) {
	return s.deps.Services.FindService(c.UserContext(), c.Params("id"))
}

func (s *Server) createServiceOrder(c *fiber.Ctx) (any, error) {
	var in market.NewServiceOrder
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.ServiceOrders.CreateServiceOrder(c.UserContext(), in)
}

func (s *Server) listServiceOrders(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.ServiceOrders.ListServiceOrders(c.UserContext(), market.ServiceOrderFilter{
		Role: c.Query("role"), Status: c.Query("status"), Page: pr})
}

func (s *Server) getServiceOrder(c *fiber.Ctx) (any, error) {
	return s.deps.ServiceOrders.FindServiceOrder(c.UserContext(), c.Params("id"))
}

// moveServiceOrder answers accept, cancel and complete, which take an
// empty body.
func (s *Server) moveServiceOrder(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.decode(c, &struct{}{}, true); err != nil {
			return err
		}
		o, err := s.deps.ServiceOrders.MoveServiceOrder(c.UserContext(), c.Params("id"), action)
		if err != nil {
			return err
		}
		return c.JSON(o)
	}
}

func (s *Server) declineServiceOrder(c *fiber.Ctx) (any, error) {
	var in market.Cancellation
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.ServiceOrders.DeclineServiceOrder(c.UserContext(), c.Params("id"), in)
}

// deliverServiceOrder: POST /service-orders/{id}/deliver, multipart with
// the field file, within the evidence upload limit.
func (s *Server) deliverServiceOrder(c *fiber.Ctx) (any, error) {
	fh, f, err := s.formFile(c, "send the report as multipart/form-data with the field file")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return s.deps.ServiceOrders.DeliverServiceOrder(c.UserContext(), c.Params("id"), fh.Filename, f)
}

// getServiceOrderReport streams the delivered report to the two parties.
func (s *Server) getServiceOrderReport(c *fiber.Ctx) error {
	r, rc, err := s.deps.ServiceOrders.OpenReport(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return sendFile(c, r.Filename, r.ContentType, r.SHA256, r.Size, rc)
}
