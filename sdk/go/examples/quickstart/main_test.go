package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The reply's thread is the message's ts (protojson may put spaces after a colon).
var threaded = regexp.MustCompile(`message: .*"slackTs":\s*"([^"]+)"(?s:.*)reply: .*"threadTs":\s*"([^"]+)"`)

// The example against the harness's service (scripts/sdk/go.sh test), twice: the second
// run finds the workspace installed already, as a second `go run` against `make run` does.
func TestQuickstart(t *testing.T) {
	if os.Getenv("SWITCHBOARD_ADDR") == "" {
		t.Fatal("this test runs the example against a real switchboard: run " +
			"`scripts/sdk_harness.py -- scripts/sdk/go.sh test` from the repository root")
	}
	for attempt, reconnects := range []int{1, 2} {
		var out bytes.Buffer
		if err := run(t.Context(), &out); err != nil {
			t.Fatalf("run %d: %v\n%s", attempt+1, err, out.String())
		}
		t.Logf("run %d:\n%s", attempt+1, out.String())
		if n := strings.Count(out.String(), "INTEGRATION_ALREADY_EXISTS: reconnecting"); n != reconnects {
			t.Fatalf("run %d: want %d reconnect(s), got %d", attempt+1, reconnects, n)
		}
		for _, line := range []string{"channel #alerts", "message: {", "reply: {", "dashboard: {"} {
			if !strings.Contains(out.String(), line) {
				t.Fatalf("run %d: no %q in the output", attempt+1, line)
			}
		}
		if ts := threaded.FindStringSubmatch(out.String()); ts == nil || ts[1] != ts[2] {
			t.Fatalf("run %d: want the reply in the message's thread, got %q", attempt+1, ts)
		}
	}
}
