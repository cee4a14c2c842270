package gateway_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard/gateway/openapi"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the routes table of README.md from the OpenAPI file")

const (
	routesBegin = "<!-- routes: generated from openapi/switchboard.swagger.json (go test -run TestReadmeRoutes -update-readme) -->\n"
	routesEnd   = "<!-- end of routes -->\n"
)

// routesTable is the Markdown table of every operation in the OpenAPI file: method, path
// and the RPC it reaches, by path.
func routesTable(t *testing.T) (string, int) {
	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Spec, &spec); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for path, ops := range spec.Paths {
		for method, op := range ops {
			// An additional binding's operation id is the RPC's with a number after it.
			rpc := strings.Replace(strings.TrimRight(op.OperationID, "0123456789"), "_", ".", 1)
			rows = append(rows, fmt.Sprintf("| `%s` | `%s` | `switchboard.v1.%s` |\n", strings.ToUpper(method), path, rpc))
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		pi, pj := strings.Split(rows[i], "`")[3], strings.Split(rows[j], "`")[3]
		if pi != pj {
			return pi < pj
		}
		return rows[i] < rows[j]
	})
	return "| Method | Path | RPC |\n| --- | --- | --- |\n" + strings.Join(rows, ""), len(rows)
}

func TestReadmeRoutes(t *testing.T) {
	table, n := routesTable(t)
	// GetDelivery answers at its canonical path and at the older /v1/deliveries/{id}.
	if n != 35 {
		t.Fatalf("the OpenAPI file has %d operations, want the 34 RPCs plus one additional binding", n)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	begin, end := strings.Index(text, routesBegin), strings.Index(text, routesEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md has no routes section (%q ... %q)", routesBegin, routesEnd)
	}
	current := text[begin+len(routesBegin) : end]
	if current == table {
		return
	}
	if *updateReadme {
		text = text[:begin+len(routesBegin)] + table + text[end:]
		if err := os.WriteFile("README.md", []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's routes differ from the OpenAPI file: run go test -run TestReadmeRoutes -update-readme\nwant:\n%s", table)
}

func TestOpenAPIServed(t *testing.T) {
	r := do(t, "GET", defaultGateway(t)+"/openapi.json", nil).expect(t, 200)
	if string(r.body) != string(openapi.Spec) || r.json["swagger"] != "2.0" {
		t.Fatalf("/openapi.json is not the generated file")
	}
	// Descriptions come from the proto comments.
	if !strings.Contains(string(r.body), "reconnect token") {
		t.Fatal("/openapi.json lacks the proto comments")
	}
}
