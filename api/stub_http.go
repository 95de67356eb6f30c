package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Placeholders until the HTTP handlers land; each is replaced by its real file.
func notYet(c echo.Context) error { return echo.NewHTTPError(http.StatusNotImplemented, "not yet") }

func (s *Server) handleLivez(c echo.Context) error          { return notYet(c) }
func (s *Server) handleReadyz(c echo.Context) error         { return notYet(c) }
func (s *Server) handleMetrics(c echo.Context) error        { return notYet(c) }
func (s *Server) handleOpenAPI(c echo.Context) error        { return notYet(c) }
func (s *Server) handleQuote(c echo.Context) error          { return notYet(c) }
func (s *Server) handleCreateOrder(c echo.Context) error    { return notYet(c) }
func (s *Server) handleListOrders(c echo.Context) error     { return notYet(c) }
func (s *Server) handleGetOrder(c echo.Context) error       { return notYet(c) }
func (s *Server) handleCancelOrder(c echo.Context) error    { return notYet(c) }
func (s *Server) handleOrderEvents(c echo.Context) error    { return notYet(c) }
func (s *Server) handlePaymentWebhook(c echo.Context) error { return notYet(c) }
func (s *Server) handleCreateMerchant(c echo.Context) error { return notYet(c) }
func (s *Server) handleListMerchants(c echo.Context) error  { return notYet(c) }
func (s *Server) handleCreateStation(c echo.Context) error  { return notYet(c) }
func (s *Server) handleListStations(c echo.Context) error   { return notYet(c) }
func (s *Server) handleCreateCourier(c echo.Context) error  { return notYet(c) }
func (s *Server) handleListCouriers(c echo.Context) error   { return notYet(c) }
func (s *Server) handleCreateArea(c echo.Context) error     { return notYet(c) }
func (s *Server) handleListAreas(c echo.Context) error      { return notYet(c) }
func (s *Server) handleSnapshot(c echo.Context) error       { return notYet(c) }
func (s *Server) handleTrace(c echo.Context) error          { return notYet(c) }
func (s *Server) handleTrackSnapshot(c echo.Context) error  { return notYet(c) }
