package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// The operators' page cannot put a bearer token on a page navigation or a browser
// WebSocket, so a login exchanges the admin token for a session cookie:
//
//	hb_ops=<expiry unix seconds>.<base64url HMAC-SHA256(key, "ops:"+expiry)>
//
// with key = HMAC-SHA256(admin token, "hummingbird ops session v1"). The cookie is
// HttpOnly (scripts cannot read it), SameSite=Strict (no other site's page can make the
// browser send it) and Secure when the public URL is https. It is stateless, so every
// instance sharing the admin token accepts it, and changing the token ends every session.
// It authenticates only reads (GET, and the ops WebSocket after an Origin check): every
// change to the directory still needs the bearer token.
const opsCookie = "hb_ops"

// opsSessionKey derives the cookie's MAC key from the admin token.
func (s *Server) opsSessionKey() []byte {
	m := hmac.New(sha256.New, []byte(s.cfg.AdminToken))
	m.Write([]byte("hummingbird ops session v1"))
	return m.Sum(nil)
}

func (s *Server) opsSessionMAC(exp string) string {
	m := hmac.New(sha256.New, s.opsSessionKey())
	m.Write([]byte("ops:" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newOpsSession returns a session cookie valid for SessionTTL from now.
func (s *Server) newOpsSession(now time.Time) *http.Cookie {
	exp := now.Add(s.cfg.SessionTTL).Truncate(time.Second)
	v := strconv.FormatInt(exp.Unix(), 10)
	return s.opsCookie(v+"."+s.opsSessionMAC(v), exp)
}

// opsCookie returns the session cookie with value v and expiry exp (a past expiry
// deletes it).
func (s *Server) opsCookie(v string, exp time.Time) *http.Cookie {
	c := &http.Cookie{Name: opsCookie, Value: v, Path: "/", Expires: exp, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: strings.HasPrefix(s.cfg.PublicURL, "https://")}
	if !exp.After(s.cfg.Wall.Now()) {
		c.MaxAge = -1
	}
	return c
}

// validOpsSession reports whether r carries an unexpired session cookie made with the
// current admin token.
func (s *Server) validOpsSession(r *http.Request) bool {
	if s.cfg.AdminToken == "" {
		return false
	}
	c, err := r.Cookie(opsCookie)
	if err != nil {
		return false
	}
	v, mac, ok := strings.Cut(c.Value, ".")
	if !ok || len(v) > 12 {
		return false
	}
	exp, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return false
	}
	now := s.cfg.Wall.Now()
	if !time.Unix(exp, 0).After(now) || time.Unix(exp, 0).After(now.Add(s.cfg.SessionTTL+time.Minute)) {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(s.opsSessionMAC(v)))
}

// adminTokenOK compares a presented token with the admin token in constant time.
func (s *Server) adminTokenOK(tok string) bool {
	return s.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.AdminToken)) == 1
}

// adminAuth lets a request through with the admin bearer token, or, for reads only, with
// an operator session cookie; a WebSocket upgrade on a cookie must also come from this
// server's own origin (browsers do not apply SameSite or CORS to every handshake).
func (s *Server) adminAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if tok := bearer(r); tok != "" {
			if !s.adminTokenOK(tok) {
				return fmt.Errorf("%w: admin token required", ErrUnauthorized)
			}
			return next(c)
		}
		if r.Method != http.MethodGet || !s.validOpsSession(r) {
			return fmt.Errorf("%w: admin token required (a session cookie authenticates reads only)", ErrUnauthorized)
		}
		if err := s.sameOrigin(r, r.Header.Get("Upgrade") != ""); err != nil {
			return err
		}
		return next(c)
	}
}

// sameOrigin refuses a request whose Origin header names another host than the one it
// was sent to (or the public URL's, for a proxy that rewrites Host); with required set, a
// missing Origin is refused too.
func (s *Server) sameOrigin(r *http.Request, required bool) error {
	o := r.Header.Get("Origin")
	if o == "" {
		if required {
			return fmt.Errorf("%w: Origin header required", ErrCrossOrigin)
		}
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || !(strings.EqualFold(u.Host, r.Host) || strings.EqualFold(u.Host, s.publicHost)) {
		return fmt.Errorf("%w: origin %q is not this server (%s)", ErrCrossOrigin, o, r.Host)
	}
	return nil
}
