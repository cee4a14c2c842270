package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	switchboard "github.com/switchboard/sdk/go"
	"github.com/switchboard/sdk/go/switchboardv1"
)

// The example against the harness's service, after the quickstart (which installs the app
// for the team).
func TestEvents(t *testing.T) {
	addr := os.Getenv("SWITCHBOARD_ADDR")
	if addr == "" {
		t.Fatal("this test runs the example against a real switchboard: run " +
			"`scripts/sdk_harness.py -- scripts/sdk/go.sh test` from the repository root")
	}
	client, err := switchboard.New(addr, switchboard.WithInsecure(), switchboard.WithCredential(os.Getenv("SWITCHBOARD_API_KEY")))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Events.ListEvents(t.Context(), &switchboardv1.ListEventsRequest{PageSize: 1}); err != nil {
		t.Fatal(err)
	}
	// A team of its own, so the quickstart test's count of reconnects is not disturbed.
	t.Setenv("SWITCHBOARD_TEAM_ID", fmt.Sprintf("events-example-%d", time.Now().UnixNano()))
	quickstart := exec.Command("go", "run", "../quickstart")
	if output, err := quickstart.CombinedOutput(); err != nil {
		t.Fatalf("quickstart: %v\n%s", err, output)
	}

	var out bytes.Buffer
	if err := run(t.Context(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log(out.String())
	for _, line := range []string{"stream: {", "webhook: {", `"deliverySent"`} {
		if !strings.Contains(out.String(), line) {
			t.Fatalf("no %q in the output", line)
		}
	}
}
