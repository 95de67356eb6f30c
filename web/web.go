// Package web holds the two browser pages the server ships — the customer's tracking page
// and the operators' city map — as files embedded in the binary: HTML templates, our own
// small scripts and styles, and Leaflet and h3-js vendored from npm (static/vendor, with
// their licences). Nothing is built: the files are served as they are in the repository.
//
// Concurrency: everything here is read-only after package initialisation and safe for
// concurrent use.
package web

import (
	"embed"
	"html/template"
	"io"
	"io/fs"
)

//go:embed static
var staticFiles embed.FS

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the parsed templates, named by file (track.html, ops.html, login.html,
// notfound.html; head.html defines their shared head). Parsing happens once; a broken
// template fails every test.
var pages = template.Must(template.ParseFS(templateFiles, "templates/*.html"))

// Static returns the files served under /static/: our scripts and styles at the top,
// the vendored libraries under vendor/<name>-<version>/.
func Static() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // "static" is a valid path inside the embedded tree
	}
	return sub
}

// Page is what every template receives.
type Page struct {
	// Token is the tracking token (track.html only).
	Token string
	// TileURL is a Leaflet tile URL template ({z}/{x}/{y}); empty draws on a plain
	// background. TileAttribution is shown with the tiles.
	TileURL, TileAttribution string
	// Error is shown on the login page after a refused token.
	Error string
}

// Render writes the named page.
func Render(w io.Writer, name string, p Page) error { return pages.ExecuteTemplate(w, name, p) }
