package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// page fetches a path of the server without following redirects, with optional cookies
// and headers (name, value pairs); the body is read whole.
func (e *testEnv) page(t *testing.T, method, path, form string, cookies []*http.Cookie, headers ...string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequest(method, e.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{Transport: e.Client.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, b := roundTrip(t, client, req)
	return resp, string(b)
}

func TestTrackPage(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.TrackLinkTTL = time.Hour })
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "page")

	resp, body := env.page(t, "GET", "/track/"+o.TrackToken, "", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `data-token="`+o.TrackToken+`"`) || !strings.Contains(body, "/static/track.js") {
		t.Fatalf("page: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "img-src 'self' data:;"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", resp.Header)
	}

	for _, tok := range []string{dispatch.NewTrackToken(), strings.Repeat("a", 65)} {
		resp, body = env.page(t, "GET", "/track/"+tok, "", nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "can't find this delivery") {
			t.Fatalf("unknown token: %d %s", resp.StatusCode, body)
		}
	}

	// The order expires unpaid; its link works for TrackLinkTTL after that, then the
	// page, the snapshot and the socket all answer 404.
	env.Clock.Advance(env.Engine.Config().PaymentTimeout + time.Second)
	env.Engine.Tick(context.Background())
	if v, raw := env.track(t, o.TrackToken); v.State != dispatch.Expired {
		t.Fatalf("not expired: %s", raw)
	}
	if resp, _ := env.page(t, "GET", "/track/"+o.TrackToken, "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("fresh expired order: %d", resp.StatusCode)
	}
	env.Clock.Advance(time.Hour + time.Second)
	if resp, body := env.page(t, "GET", "/track/"+o.TrackToken, "", nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "expired") {
		t.Fatalf("old link: %d %s", resp.StatusCode, body)
	}
	env.do(t, "GET", "/v1/track/"+o.TrackToken, "", nil).problem(t, http.StatusNotFound, "not_found")
}

func TestTilesConfigured(t *testing.T) {
	env := newTestEnv(t, func(c *Config) {
		c.TileURL, c.TileAttribution = "https://tiles.example/{z}/{x}/{y}.png", "© Example"
	})
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "tiles")
	resp, body := env.page(t, "GET", "/track/"+o.TrackToken, "", nil)
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "img-src 'self' data: https://tiles.example;") ||
		!strings.Contains(body, `data-tiles="https://tiles.example/{z}/{x}/{y}.png"`) {
		t.Fatalf("tiles not passed on: %v\n%s", resp.Header, body)
	}
	// Without a tile URL the page names none.
	plain := newTestEnv(t)
	o = plain.createOrder(t, plain.adminSetup(t), "plain")
	if _, body := plain.page(t, "GET", "/track/"+o.TrackToken, "", nil); !strings.Contains(body, `data-tiles=""`) {
		t.Fatalf("plain page: %s", body)
	}
}

func TestStaticFiles(t *testing.T) {
	env := newTestEnv(t)
	for _, c := range []struct {
		path, ctype, cache string
	}{
		{"/static/track.js", "text/javascript", "no-cache"},
		{"/static/common.css", "text/css", "no-cache"},
		{"/static/vendor/leaflet-1.9.4/leaflet.js", "text/javascript", "immutable"},
		{"/static/vendor/h3-js-4.5.0/h3-js.umd.js", "text/javascript", "immutable"},
		{"/static/vendor/leaflet-1.9.4/images/layers.png", "image/png", "immutable"},
	} {
		resp, body := env.page(t, "GET", c.path, "", nil)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) ||
			!strings.Contains(resp.Header.Get("Cache-Control"), c.cache) || len(body) == 0 {
			t.Errorf("%s: %d %q %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
	}
	for _, p := range []string{"/static/", "/static/vendor", "/static/vendor/", "/static/missing.js", "/static/..%2fweb.go", "/static/./track.js"} {
		env.do(t, "GET", p, "", nil).problem(t, http.StatusNotFound, "not_found")
	}
}

func TestOpsLogin(t *testing.T) {
	wall := testenv.NewClock(time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC))
	env := newTestEnv(t, func(c *Config) { c.Wall = wall })

	// No session: the sign-in form, and no admin read.
	if resp, body := env.page(t, "GET", "/ops", "", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="token"`) {
		t.Fatalf("login form: %d %s", resp.StatusCode, body)
	}
	// Wrong, missing or doubled token; wrong content type; another site's form.
	for _, c := range []struct {
		form, code string
		status     int
		headers    []string
	}{
		{"token=wrong", "unauthorized", 401, nil},
		{"token=", "unauthorized", 401, nil},
		{"token=" + testAdminToken + "&token=" + testAdminToken, "unauthorized", 401, nil},
		{"token=" + strings.Repeat("x", maxLoginToken+1), "unauthorized", 401, nil},
		{"token=" + testAdminToken, "cross_origin", 403, []string{"Origin", "https://evil.example"}},
		{"token=%zz", "malformed_request", 400, nil},
	} {
		resp, body := env.page(t, "POST", "/ops/login", c.form, nil, c.headers...)
		if resp.StatusCode != c.status || !strings.Contains(body, `"code":"`+c.code+`"`) || len(resp.Cookies()) != 0 {
			t.Errorf("login %q: %d %s", c.form, resp.StatusCode, body)
		}
	}
	if r := env.do(t, "POST", "/ops/login", "", `{"token":"`+testAdminToken+`"}`); r.Status != http.StatusBadRequest {
		t.Errorf("JSON login: %d %s", r.Status, r.Body)
	}

	resp, _ := env.page(t, "POST", "/ops/login", url.Values{"token": {testAdminToken}}.Encode(), nil, "Origin", env.URL)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ops" {
		t.Fatalf("login: %d %v", resp.StatusCode, resp.Header)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != opsCookie || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode ||
		cookies[0].Path != "/" || !cookies[0].Expires.Equal(wall.Now().Add(12*time.Hour)) {
		t.Fatalf("session cookie %+v", cookies)
	}

	// The session opens the page and the admin reads, not the writes.
	if resp, body := env.page(t, "GET", "/ops", "", cookies); resp.StatusCode != http.StatusOK || !strings.Contains(body, "kpi-unassigned") {
		t.Fatalf("ops page: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/v1/admin/ops", "/v1/admin/stations", "/v1/admin/areas"} {
		if resp, body := env.page(t, "GET", p, "", cookies); resp.StatusCode != http.StatusOK {
			t.Errorf("%s with the cookie: %d %s", p, resp.StatusCode, body)
		}
	}
	if resp, body := env.page(t, "POST", "/v1/admin/merchants", `{"name":"x"}`, cookies); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a cookie created a merchant: %d %s", resp.StatusCode, body)
	}

	// A tampered, a foreign or an expired cookie is no session.
	exp, mac, _ := strings.Cut(cookies[0].Value, ".")
	other := newTestEnv(t, func(c *Config) { c.AdminToken = "another-token"; c.Wall = wall })
	otherCookie := other.Server.newOpsSession(wall.Now())
	for _, v := range []string{exp + "0." + mac, exp + "." + mac[1:] + "A", "garbage", otherCookie.Value} {
		bad := []*http.Cookie{{Name: opsCookie, Value: v}}
		if resp, _ := env.page(t, "GET", "/v1/admin/ops", "", bad); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("cookie %q accepted", v)
		}
	}
	wall.Advance(12*time.Hour + time.Second)
	if resp, _ := env.page(t, "GET", "/v1/admin/ops", "", cookies); resp.StatusCode != http.StatusUnauthorized {
		t.Error("expired session accepted")
	}
	if _, body := env.page(t, "GET", "/ops", "", cookies); !strings.Contains(body, `name="token"`) {
		t.Error("expired session still opens the page")
	}

	resp, _ = env.page(t, "POST", "/ops/logout", "", cookies)
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
		t.Fatalf("logout: %d %v", resp.StatusCode, resp.Cookies())
	}
}
