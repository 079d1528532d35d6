package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Instruments, bookings, services and service orders (SPEC "Instruments
// and testing services").

func (s *Server) createInstrument(c *fiber.Ctx) error {
	var in market.InstrumentInput
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	x, err := s.deps.Instruments.CreateInstrument(c.UserContext(), in)
	if err != nil {
		return err
	}
	return created(c, x)
}

// updateInstrument: PATCH /instruments/{id}; the owner changes any field,
// an operator the status.
func (s *Server) updateInstrument(c *fiber.Ctx) error {
	var in market.InstrumentInput
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	x, err := s.deps.Instruments.UpdateInstrument(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(x)
}

func (s *Server) listInstruments(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Instruments.ListInstruments(c.UserContext(), market.InstrumentFilter{
		Category: c.Query("category"), RegionCode: c.Query("region_code"), OrgID: c.Query("org_id"),
		Status: c.Query("status"), Q: c.Query("q"), Page: pr})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) getInstrument(c *fiber.Ctx) error {
	x, err := s.deps.Instruments.FindInstrument(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(x)
}

func (s *Server) createBooking(c *fiber.Ctx) error {
	var in market.NewBooking
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	b, err := s.deps.Bookings.CreateBooking(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return created(c, b)
}

func (s *Server) listBookings(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Bookings.ListBookings(c.UserContext(), market.BookingFilter{
		Role: c.Query("role"), Status: c.Query("status"), InstrumentID: c.Query("instrument_id"), Page: pr})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) getBooking(c *fiber.Ctx) error {
	b, err := s.deps.Bookings.FindBooking(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (s *Server) confirmBooking(c *fiber.Ctx) error {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return err
	}
	b, err := s.deps.Bookings.ConfirmBooking(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (s *Server) declineBooking(c *fiber.Ctx) error {
	var in market.Cancellation
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	b, err := s.deps.Bookings.DeclineBooking(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (s *Server) cancelBooking(c *fiber.Ctx) error {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return err
	}
	b, err := s.deps.Bookings.CancelBooking(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (s *Server) completeBooking(c *fiber.Ctx) error {
	var in market.Completion
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	b, err := s.deps.Bookings.CompleteBooking(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (s *Server) reviewBooking(c *fiber.Ctx) error {
	var in market.BookingReview
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	b, err := s.deps.Bookings.ReviewBooking(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (s *Server) createService(c *fiber.Ctx) error {
	var in market.NewService
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	svc, err := s.deps.Services.CreateService(c.UserContext(), in)
	if err != nil {
		return err
	}
	return created(c, svc)
}

func (s *Server) listServices(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Services.ListServices(c.UserContext(), market.ServiceFilter{Kind: c.Query("kind"), OrgID: c.Query("org_id"), Page: pr})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) getService(c *fiber.Ctx) error {
	svc, err := s.deps.Services.FindService(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(svc)
}

func (s *Server) createServiceOrder(c *fiber.Ctx) error {
	var in market.NewServiceOrder
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	o, err := s.deps.ServiceOrders.CreateServiceOrder(c.UserContext(), in)
	if err != nil {
		return err
	}
	return created(c, o)
}

func (s *Server) listServiceOrders(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.ServiceOrders.ListServiceOrders(c.UserContext(), market.ServiceOrderFilter{
		Role: c.Query("role"), Status: c.Query("status"), Page: pr})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) getServiceOrder(c *fiber.Ctx) error {
	o, err := s.deps.ServiceOrders.FindServiceOrder(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(o)
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

func (s *Server) declineServiceOrder(c *fiber.Ctx) error {
	var in market.Cancellation
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	o, err := s.deps.ServiceOrders.DeclineServiceOrder(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// deliverServiceOrder: POST /service-orders/{id}/deliver, multipart with
// the field file, within the evidence upload limit.
func (s *Server) deliverServiceOrder(c *fiber.Ctx) error {
	fh, f, err := s.formFile(c, "send the report as multipart/form-data with the field file")
	if err != nil {
		return err
	}
	defer f.Close()
	o, err := s.deps.ServiceOrders.DeliverServiceOrder(c.UserContext(), c.Params("id"), fh.Filename, f)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// getServiceOrderReport streams the delivered report to the two parties.
func (s *Server) getServiceOrderReport(c *fiber.Ctx) error {
	r, rc, err := s.deps.ServiceOrders.OpenReport(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return sendFile(c, r.Filename, r.ContentType, r.SHA256, r.Size, rc)
}
