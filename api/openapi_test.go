package api

import (
	"bufio"
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// specOp is one operation of openapi.yaml, with the security schemes it lists.
type specOp struct {
	route    string // "GET /v1/orders/:id"
	security []string
}

var (
	specPathLine   = regexp.MustCompile(`^  (/[^:]*):\s*$`)
	specMethodLine = regexp.MustCompile(`^    (get|put|post|delete|options|head|patch|trace):\s*$`)
	specSecLine    = regexp.MustCompile(`^        - (\w+): \[\]\s*$`)
	specParam      = regexp.MustCompile(`\{(\w+)\}`)
)

// parseSpecOps reads the paths block of an OpenAPI document by indentation: path keys
// at two spaces, methods at four, security requirements at eight. {param} becomes
// :param as in echo.
func parseSpecOps(t *testing.T, spec []byte) []specOp {
	t.Helper()
	var ops []specOp
	inPaths, inSecurity, path := false, false, ""
	sc := bufio.NewScanner(bytes.NewReader(spec))
	for sc.Scan() {
		line := sc.Text()
		if line == "paths:" {
			inPaths = true
			continue
		}
		if !inPaths || strings.TrimSpace(line) == "" {
			continue
		}
		if line[0] != ' ' {
			break // the next top-level key ends the paths block
		}
		switch {
		case specPathLine.MatchString(line):
			path = specParam.ReplaceAllString(specPathLine.FindStringSubmatch(line)[1], ":$1")
			inSecurity = false
		case specMethodLine.MatchString(line):
			if path == "" {
				t.Fatalf("method outside a path: %q", line)
			}
			ops = append(ops, specOp{route: strings.ToUpper(specMethodLine.FindStringSubmatch(line)[1]) + " " + path})
			inSecurity = false
		case strings.HasPrefix(line, "      security:"):
			inSecurity = true
		case inSecurity && specSecLine.MatchString(line):
			ops[len(ops)-1].security = append(ops[len(ops)-1].security, specSecLine.FindStringSubmatch(line)[1])
		case !strings.HasPrefix(line, "        "):
			inSecurity = false
		}
	}
	if len(ops) == 0 {
		t.Fatal("no operations found under paths:")
	}
	return ops
}

// serverRoutes lists the routes registered on e, without echo's internal not-found routes.
func serverRoutes(e *echo.Echo) []string {
	var out []string
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		// Echo's catch-all (/static/*) is written {path} in the spec.
		out = append(out, r.Method+" "+strings.Replace(r.Path, "/*", "/:path", 1))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// routeDiff returns the routes only in the spec and only on the server.
func routeDiff(spec []specOp, server []string) (onlySpec, onlyServer []string) {
	inSpec := map[string]bool{}
	for _, op := range spec {
		inSpec[op.route] = true
		if !slices.Contains(server, op.route) {
			onlySpec = append(onlySpec, op.route)
		}
	}
	for _, r := range server {
		if !inSpec[r] {
			onlyServer = append(onlyServer, r)
		}
	}
	return onlySpec, onlyServer
}

func TestOpenAPIRoutesMatchServer(t *testing.T) {
	env := newTestEnv(t)
	ops := parseSpecOps(t, openAPISpec)
	seen := map[string]bool{}
	for _, op := range ops {
		if seen[op.route] {
			t.Errorf("spec lists %s twice", op.route)
		}
		seen[op.route] = true
	}
	onlySpec, onlyServer := routeDiff(ops, serverRoutes(env.Server.echo))
	for _, r := range onlySpec {
		t.Errorf("spec documents %s, which the server does not serve", r)
	}
	for _, r := range onlyServer {
		t.Errorf("server serves %s, which openapi.yaml does not document", r)
	}
}

func TestOpenAPIRouteCheckCanFail(t *testing.T) {
	env := newTestEnv(t)
	env.Server.echo.GET("/v1/undocumented", func(c echo.Context) error { return nil })
	ops := parseSpecOps(t, openAPISpec)
	_, onlyServer := routeDiff(ops, serverRoutes(env.Server.echo))
	if !slices.Equal(onlyServer, []string{"GET /v1/undocumented"}) {
		t.Errorf("undocumented route not reported: %v", onlyServer)
	}
	onlySpec, _ := routeDiff(append(ops, specOp{route: "DELETE /v1/orders/:id"}), serverRoutes(env.Server.echo))
	if !slices.Equal(onlySpec, []string{"DELETE /v1/orders/:id"}) {
		t.Errorf("unserved spec route not reported: %v", onlySpec)
	}
}

// TestOpenAPISecurity checks that each operation names the credential its route group
// requires, and only that one.
func TestOpenAPISecurity(t *testing.T) {
	public := map[string]bool{
		"GET /livez": true, "GET /readyz": true, "GET /metrics": true, "GET /v1/openapi.yaml": true,
		"POST /v1/payments/webhook": true, "GET /v1/track/:token": true, "GET /v1/track/:token/ws": true,
		"GET /track/:token": true, "GET /ops": true, "POST /ops/login": true, "POST /ops/logout": true,
		"GET /static/:path": true,
	}
	for _, op := range parseSpecOps(t, openAPISpec) {
		_, path, _ := strings.Cut(op.route, " ")
		var want []string
		switch {
		case public[op.route]:
		case strings.HasPrefix(path, "/v1/admin/") && strings.HasPrefix(op.route, "GET "):
			// Reads also take the operators' session cookie (docs/pages.md).
			want = []string{"adminToken", "opsSession"}
		case strings.HasPrefix(path, "/v1/admin/"):
			want = []string{"adminToken"}
		case path == "/v1/courier/ws":
			want = []string{"courierToken"}
		default:
			want = []string{"merchantKey"}
		}
		if !slices.Equal(op.security, want) {
			t.Errorf("%s: security %v, want %v", op.route, op.security, want)
		}
	}
}

// TestOpenAPIProblemCodes checks that the Problem schema's code enum lists every code
// the error table and the router can produce.
func TestOpenAPIProblemCodes(t *testing.T) {
	spec := string(openAPISpec)
	_, after, ok := strings.Cut(spec, "\n    Problem:\n")
	if !ok {
		t.Fatal("no Problem schema")
	}
	block, _, _ := strings.Cut(after, "        detail:")
	codes := []string{internalError.code, "route_not_found", "method_not_allowed", "http_error"}
	for _, w := range errorTable {
		codes = append(codes, w.code)
	}
	for _, c := range codes {
		if !strings.Contains(block, "\n            - "+c+"\n") {
			t.Errorf("Problem.code enum lacks %q", c)
		}
	}
}
