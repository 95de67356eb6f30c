package api

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/web"
)

// maxLoginToken bounds the token a login form may post.
const maxLoginToken = 256

// tileOrigin returns the scheme://host of a tile URL template, "" when there is none or
// it is not an absolute http(s) URL (the server then draws maps without tiles).
func tileOrigin(tmpl string) string {
	u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(tmpl))
	if tmpl == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// pageHeaders sets the headers of the HTML pages: no caching (they show live state), a
// Content-Security-Policy that lets a page load only this server's scripts and styles and
// connect only back to it (tiles from the configured tile server, if any), and no
// Referer, so a tracking token in the URL never leaks to another site.
func (s *Server) pageHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	img := "'self' data:"
	if s.tileOrigin != "" {
		img += " " + s.tileOrigin
	}
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + img +
		"; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// renderPage writes one of the web package's pages.
func (s *Server) renderPage(c echo.Context, status int, name string, p web.Page) error {
	p.TileURL, p.TileAttribution = "", ""
	if s.tileOrigin != "" {
		p.TileURL, p.TileAttribution = s.cfg.TileURL, s.cfg.TileAttribution
	}
	var b bytes.Buffer
	if err := web.Render(&b, name, p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return c.HTMLBlob(status, b.Bytes())
}

// handleTrackPage is GET /track/{token}: the customer's tracking page. The token is the
// capability; an unknown token, or the link of an order closed more than TrackLinkTTL
// ago, gets a friendly 404 page. The page itself reads everything over the tracking
// socket.
func (s *Server) handleTrackPage(c echo.Context) error {
	token := c.Param("token")
	_, err := s.track(c.Request().Context(), token)
	if errors.Is(err, dispatch.ErrNotFound) {
		return s.renderPage(c, http.StatusNotFound, "notfound.html", web.Page{})
	}
	if err != nil {
		return err
	}
	return s.renderPage(c, http.StatusOK, "track.html", web.Page{Token: token})
}

// handleOpsPage is GET /ops: the operators' map with a valid session cookie, the login
// form without one.
func (s *Server) handleOpsPage(c echo.Context) error {
	if !s.validOpsSession(c.Request()) {
		return s.renderPage(c, http.StatusOK, "login.html", web.Page{})
	}
	return s.renderPage(c, http.StatusOK, "ops.html", web.Page{})
}

// handleOpsLogin is POST /ops/login with the form field token: the admin token buys a
// session cookie and a 303 to /ops. A wrong token is a 401 problem.
func (s *Server) handleOpsLogin(c echo.Context) error {
	r := c.Request()
	if err := s.sameOrigin(r, false); err != nil {
		return err
	}
	ct, _, _ := strings.Cut(r.Header.Get(echo.HeaderContentType), ";")
	if strings.TrimSpace(ct) != echo.MIMEApplicationForm {
		return fmt.Errorf("%w: send the form as %s", ErrMalformed, echo.MIMEApplicationForm)
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	tok := form.Get("token")
	if len(form["token"]) != 1 || tok == "" || len(tok) > maxLoginToken {
		return fmt.Errorf("%w: one token field of 1-%d characters", ErrUnauthorized, maxLoginToken)
	}
	if !s.adminTokenOK(tok) {
		return fmt.Errorf("%w: wrong admin token", ErrUnauthorized)
	}
	c.SetCookie(s.newOpsSession(s.cfg.Wall.Now()))
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Redirect(http.StatusSeeOther, "/ops")
}

// handleOpsLogout is POST /ops/logout: the session cookie is deleted.
func (s *Server) handleOpsLogout(c echo.Context) error {
	if err := s.sameOrigin(c.Request(), false); err != nil {
		return err
	}
	c.SetCookie(s.opsCookie("", s.cfg.Wall.Now().Add(-1)))
	return c.Redirect(http.StatusSeeOther, "/ops")
}

// handleStatic is GET /static/{path}: a file of web.Static. Directories are not listed.
// The vendored libraries' paths carry their version, so they may be cached for good;
// our own files are revalidated.
func (s *Server) handleStatic(c echo.Context) error {
	name := c.Param("*")
	if name == "" || name != path.Clean(name) || strings.HasPrefix(name, "/") || !fs.ValidPath(name) {
		return fmt.Errorf("%w: no such file", dispatch.ErrNotFound)
	}
	fsys := web.Static()
	st, err := fs.Stat(fsys, name)
	if err != nil || st.IsDir() {
		return fmt.Errorf("%w: no such file %q", dispatch.ErrNotFound, name)
	}
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(name, "vendor/") {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "no-cache")
	}
	http.ServeFileFS(c.Response(), c.Request(), fsys, name)
	return nil
}
