// Package archtest holds tests that keep the module's dependency rules: the domain
// packages geo, courier and dispatch never import transport or storage code.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/hummingbird-dispatch/hummingbird"

// forbidden lists import paths (or prefixes) the domain must not reach, even indirectly.
var forbidden = []string{
	"github.com/labstack/echo",
	"github.com/gorilla/websocket",
	"github.com/jackc/pgx",
	"github.com/redis/go-redis",
	module + "/api",
	module + "/internal/",
	module + "/cmd/",
}

func TestDomainImportsNoTransportOrStorage(t *testing.T) {
	for _, pkg := range []string{"geo", "courier", "dispatch"} {
		out, err := exec.Command("go", "list", "-deps", module+"/"+pkg+"/...").CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Fatalf("go list %s returned no packages", pkg)
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if d == strings.TrimSuffix(f, "/") || strings.HasPrefix(d, f) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}

// TestOnlyGeoImportsH3 keeps cgo in one place.
func TestOnlyGeoImportsH3(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, "github.com/uber/h3-go") && f[0] != module+"/geo" {
				t.Errorf("%s imports %s; only geo may", f[0], imp)
			}
		}
	}
}
