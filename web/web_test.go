package web

import (
	"bytes"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestPagesReferenceEmbeddedFiles renders every page and checks that each /static/ file
// it loads is in the embedded tree, so a renamed script or a missing vendored file fails
// here rather than in a browser.
func TestPagesReferenceEmbeddedFiles(t *testing.T) {
	ref := regexp.MustCompile(`(?:src|href)="/static/([^"]+)"`)
	for _, name := range []string{"track.html", "ops.html", "login.html", "notfound.html"} {
		var b bytes.Buffer
		if err := Render(&b, name, Page{Token: "tok", Error: "x"}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		refs := ref.FindAllStringSubmatch(b.String(), -1)
		if len(refs) == 0 {
			t.Errorf("%s loads nothing from /static/", name)
		}
		for _, m := range refs {
			if _, err := fs.Stat(Static(), m[1]); err != nil {
				t.Errorf("%s loads /static/%s: %v", name, m[1], err)
			}
		}
	}
}

// TestNoRemoteReferences keeps every page and our own scripts and styles free of
// absolute URLs: the pages must work with no network but this server.
func TestNoRemoteReferences(t *testing.T) {
	remote := regexp.MustCompile(`(?i)(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import`)
	check := func(name, text string) {
		if m := remote.FindString(text); m != "" {
			t.Errorf("%s refers to another server: %q", name, m)
		}
	}
	for _, name := range []string{"track.html", "ops.html", "login.html", "notfound.html"} {
		var b bytes.Buffer
		if err := Render(&b, name, Page{}); err != nil {
			t.Fatal(err)
		}
		check(name, b.String())
	}
	err := fs.WalkDir(Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "vendor/") {
			return err
		}
		b, err := fs.ReadFile(Static(), p)
		check(p, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVendoredLicences(t *testing.T) {
	for _, f := range []string{"vendor/leaflet-1.9.4/LICENSE", "vendor/h3-js-4.5.0/LICENSE", "vendor/h3-js-4.5.0/NOTICE"} {
		if b, err := fs.ReadFile(Static(), f); err != nil || len(b) == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
