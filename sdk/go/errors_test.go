package switchboard_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"

	switchboard "github.com/switchboard/sdk/go"
	"github.com/switchboard/sdk/go/switchboardv1"
)

func TestInvalidArgumentNamesTheField(t *testing.T) {
	t.Parallel()
	_, err := newClient(t).Integrations.StartSlackOAuth(t.Context(), &switchboardv1.StartSlackOAuthRequest{})
	e, ok := switchboard.AsError(err)
	if !ok || e.Code != codes.InvalidArgument || len(e.FieldViolations) != 1 {
		t.Fatalf("want INVALID_ARGUMENT with one field violation, got %v", err)
	}
	if v := e.FieldViolations[0]; v.GetField() != "team_id" || v.GetDescription() == "" {
		t.Fatalf("want a violation of team_id with a description, got %v", v)
	}
}

func TestAlreadyExistsReconnects(t *testing.T) {
	t.Parallel()
	client := newClient(t)
	team, workspace := newTeam(t), newWorkspace(t)
	first := install(t, client, team, workspace)

	integration, err := client.Integrations.CompleteSlackOAuth(t.Context(), authorize(t, client, team, workspace))
	e, ok := switchboard.AsError(err)
	if !ok || e.Code != codes.AlreadyExists || e.Reason != "INTEGRATION_ALREADY_EXISTS" {
		t.Fatalf("a second install: want ALREADY_EXISTS (INTEGRATION_ALREADY_EXISTS), got %v", err)
	}
	if e.Metadata["integration_id"] != first.GetId() {
		t.Fatalf("want ErrorInfo metadata naming %s, got %v", first.GetId(), e.Metadata)
	}
	if e.Reconnect.GetExistingIntegration().GetId() != first.GetId() || e.Reconnect.GetReconnectToken() == "" ||
		!e.Reconnect.GetReconnectTokenExpireTime().AsTime().After(time.Now()) {
		t.Fatalf("want ReconnectDetails of %s with a live token, got %v", first.GetId(), e.Reconnect)
	}

	// What a caller writes:
	reconnect := &switchboardv1.ReconnectIntegrationRequest{IntegrationId: e.Reconnect.GetExistingIntegration().GetId(), ReconnectToken: e.Reconnect.GetReconnectToken()}
	integration, err = client.Integrations.ReconnectIntegration(t.Context(), reconnect)
	if err != nil || integration.GetId() != first.GetId() || integration.GetReconnectCount() != first.GetReconnectCount()+1 {
		t.Fatalf("reconnect: want %s reconnected once more, got %v, %v", first.GetId(), integration, err)
	}
	if uuid.Validate(reconnect.GetRequestId()) != nil {
		t.Fatalf("reconnect: want a generated request_id, got %q", reconnect.GetRequestId())
	}
}

// Sequential (no t.Parallel): the fault it injects at slack-sim would hit any install.
func TestRetryInfoDelayIsHonoured(t *testing.T) {
	rateLimited := map[string]any{"method": "oauth.v2.access", "kind": "rate_limited", "retry_after": 1, "times": 1}
	team, workspace := newTeam(t), newWorkspace(t)

	noRetry := newClient(t, switchboard.WithoutRetry())
	sim(t, "POST", simURL+"/_sim/faults", rateLimited, nil)
	_, err := noRetry.Integrations.CompleteSlackOAuth(t.Context(), authorize(t, noRetry, team, workspace))
	e, ok := switchboard.AsError(err)
	if !ok || e.Code != codes.Unavailable {
		t.Fatalf("without retries: want UNAVAILABLE, got %v", err)
	}
	if e.RetryDelay != time.Second {
		t.Fatalf("without retries: want a RetryInfo delay of 1s, got %v", e.RetryDelay)
	}

	client := newClient(t)
	sim(t, "POST", simURL+"/_sim/faults", rateLimited, nil)
	complete := authorize(t, client, team, workspace)
	start := time.Now()
	integration, err := client.Integrations.CompleteSlackOAuth(t.Context(), complete)
	if err != nil || integration.GetTeamId() != team {
		t.Fatalf("with retries: want the install, got %v, %v", integration, err)
	}
	// The first pause would be 0.1-0.2 s; the service asked for 1 s.
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Fatalf("the retry came after %v, before the 1 s the service asked for", elapsed)
	}
}
