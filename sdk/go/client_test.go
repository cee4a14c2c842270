package switchboard_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	switchboard "github.com/switchboard/sdk/go"
	"github.com/switchboard/sdk/go/switchboardv1"
)

func TestWithoutCredentialIsUnauthenticated(t *testing.T) {
	t.Parallel()
	client := newClient(t, switchboard.WithCredential(""))
	_, err := client.Integrations.ListIntegrations(t.Context(), &switchboardv1.ListIntegrationsRequest{})
	var e *switchboard.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *switchboard.Error, got %v", err)
	}
	if e.Code != codes.Unauthenticated || e.Reason != "CREDENTIAL_MISSING" || e.Domain != "switchboard" {
		t.Fatalf("want UNAUTHENTICATED (CREDENTIAL_MISSING) in domain switchboard, got %v (domain %q)", e, e.Domain)
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("status.Code does not see the status through *Error: %v", status.Code(err))
	}
}

func TestTeamTokenReachesOnlyItsTeam(t *testing.T) {
	t.Parallel()
	team := newTeam(t)
	integration := install(t, newClient(t), team, newWorkspace(t))
	get := &switchboardv1.GetIntegrationRequest{IntegrationId: integration.GetId()}

	own := newClient(t, switchboard.WithCredential(teamToken(team)))
	got, err := own.Integrations.GetIntegration(t.Context(), get)
	if err != nil || got.GetId() != integration.GetId() {
		t.Fatalf("the team's own token: %v, %v", got, err)
	}

	other := newClient(t, switchboard.WithCredential(teamToken(newTeam(t))))
	_, err = other.Integrations.GetIntegration(t.Context(), get)
	if e, ok := switchboard.AsError(err); !ok || e.Code != codes.PermissionDenied || e.Reason == "" {
		t.Fatalf("another team's token: want PERMISSION_DENIED with a reason, got %v", err)
	}
}

func TestDefaultDeadlineGivesWayToTheContexts(t *testing.T) {
	t.Parallel()
	client := newClient(t, switchboard.WithTimeout(time.Microsecond))
	list := &switchboardv1.ListPlatformsRequest{}
	if _, err := client.Integrations.ListPlatforms(t.Context(), list); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a 1µs default deadline: want DEADLINE_EXCEEDED, got %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := client.Integrations.ListPlatforms(ctx, list); err != nil {
		t.Fatalf("the context's own deadline should win: %v", err)
	}
}

func TestRetriesStopBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	// A port nobody listens on: every attempt answers UNAVAILABLE at once.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listener.Close()
	attempts, recording := record()
	client, err := switchboard.New(listener.Addr().String(), switchboard.WithInsecure(), switchboard.WithTimeout(time.Second), recording)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	start := time.Now()
	_, err = client.Integrations.ListPlatforms(t.Context(), &switchboardv1.ListPlatformsRequest{})
	elapsed := time.Since(start)
	// The pauses are about 0.2 s, 0.4 s, 0.8 s: the third would end past the deadline, so
	// the client gives up with the last UNAVAILABLE instead of sleeping into a timeout.
	if status.Code(err) != codes.Unavailable || elapsed >= time.Second {
		t.Fatalf("want UNAVAILABLE within the 1 s deadline, got %v after %v", err, elapsed)
	}
	if n := len(attempts.sent(switchboardv1.IntegrationService_ListPlatforms_FullMethodName)); n < 2 || n > 4 {
		t.Fatalf("want 2 to 4 attempts within 1 s, got %d", n)
	}
}

func TestClientFillsIdempotencyIDs(t *testing.T) {
	t.Parallel()
	attempts, recording := record()
	client := newClient(t, recording)
	integration, _ := installWithChannel(t, client)
	id := integration.GetId()
	ctx := t.Context()

	send := &switchboardv1.SendMessageRequest{IntegrationId: id, Message: text("ids"), WaitForDelivery: true}
	delivery, err := client.Messaging.SendMessage(ctx, send)
	if err != nil {
		t.Fatal(err)
	}
	if uuid.Validate(send.GetInternalMessageId()) != nil || delivery.GetInternalMessageId() != send.GetInternalMessageId() {
		t.Fatalf("want a generated UUID that the service used, got %q (service: %q)", send.GetInternalMessageId(), delivery.GetInternalMessageId())
	}
	// The id stays in the request: sending it again is the same message, not a second one.
	again, err := client.Messaging.SendMessage(ctx, send)
	if err != nil || again.GetId() != delivery.GetId() {
		t.Fatalf("the same request again: want delivery %s, got %v, %v", delivery.GetId(), again, err)
	}

	reply := &switchboardv1.ReplyToMessageRequest{IntegrationId: id, ParentInternalMessageId: send.GetInternalMessageId(), Message: text("reply"), InternalMessageId: "reply-1"}
	if delivery, err := client.Messaging.ReplyToMessage(ctx, reply); err != nil || delivery.GetInternalMessageId() != "reply-1" {
		t.Fatalf("a caller's internal_message_id is kept: %v, %v", delivery, err)
	}

	batch := &switchboardv1.BatchSendMessagesRequest{Requests: []*switchboardv1.SendMessageRequest{
		{IntegrationId: id, Message: text("batch 1")},
		{IntegrationId: id, Message: text("batch 2"), InternalMessageId: "batch-2"},
	}}
	results, err := client.Messaging.BatchSendMessages(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if uuid.Validate(batch.Requests[0].GetInternalMessageId()) != nil || batch.Requests[1].GetInternalMessageId() != "batch-2" {
		t.Fatalf("batch items: want a UUID and the caller's id, got %q, %q", batch.Requests[0].GetInternalMessageId(), batch.Requests[1].GetInternalMessageId())
	}
	for i, result := range results.GetResults() {
		if result.GetDelivery().GetInternalMessageId() != batch.Requests[i].GetInternalMessageId() {
			t.Fatalf("batch item %d: the service answered %v", i, result)
		}
	}

	update := &switchboardv1.UpdateMessageRequest{IntegrationId: id, InternalMessageId: send.GetInternalMessageId(), Message: text("edited")}
	if _, err := client.Messaging.UpdateMessage(ctx, update); err != nil {
		t.Fatal(err)
	}
	remove := &switchboardv1.DeleteMessageRequest{IntegrationId: id, InternalMessageId: "reply-1"}
	if _, err := client.Messaging.DeleteMessage(ctx, remove); err != nil {
		t.Fatal(err)
	}
	// request_id was on the attempt itself, not only in the request afterwards.
	for method, sent := range map[string]interface{ GetRequestId() string }{
		switchboardv1.MessagingService_BatchSendMessages_FullMethodName: batch,
		switchboardv1.MessagingService_UpdateMessage_FullMethodName:     update,
		switchboardv1.MessagingService_DeleteMessage_FullMethodName:     remove,
	} {
		attempt := attempts.sent(method)[0].(interface{ GetRequestId() string })
		if uuid.Validate(sent.GetRequestId()) != nil || attempt.GetRequestId() != sent.GetRequestId() {
			t.Fatalf("%s: want a UUID request_id on the attempt, got %q (attempt %q)", method, sent.GetRequestId(), attempt.GetRequestId())
		}
	}
}
