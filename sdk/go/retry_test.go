package switchboard_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/switchboard/sdk/go/switchboardv1"
)

type simCall struct {
	WorkspaceID string `json:"workspace_id"`
}

// Sequential (no t.Parallel): it restarts the service under every other call.
func TestLostAnswerIsRetriedAndPostedOnce(t *testing.T) {
	attempts, recording := record()
	client := newClient(t, recording)
	integration, workspace := installWithChannel(t, client)
	body := "lost answer " + uuid.NewString()

	// Slack receives the post but keeps it waiting; meanwhile the service dies, so the
	// client never gets the first answer and sends again.
	sim(t, "POST", simURL+"/_sim/faults", map[string]any{"method": "chat.postMessage", "kind": "hold", "workspace_id": workspace, "times": 1}, nil)
	send := &switchboardv1.SendMessageRequest{IntegrationId: integration.GetId(), Message: text(body), WaitForDelivery: true}
	type answer struct {
		delivery *switchboardv1.Delivery
		err      error
	}
	answered := make(chan answer, 1)
	go func() {
		delivery, err := client.Messaging.SendMessage(t.Context(), send)
		answered <- answer{delivery, err}
	}()
	eventually(t, "slack-sim to hold the post", func() bool {
		var calls []simCall
		sim(t, "GET", simURL+"/_sim/calls?method=chat.postMessage", nil, &calls)
		return slices.ContainsFunc(calls, func(call simCall) bool { return call.WorkspaceID == workspace })
	})
	sim(t, "POST", harnessURL+"/restart", nil, nil)
	sim(t, "POST", simURL+"/_sim/faults/release", nil, nil)

	got := <-answered
	if got.err != nil || got.delivery.GetState() != switchboardv1.DeliveryState_DELIVERY_STATE_SENT {
		t.Fatalf("want a SENT delivery, got %v, %v", got.delivery, got.err)
	}
	sent := attempts.sent(switchboardv1.MessagingService_SendMessage_FullMethodName)
	if len(sent) < 2 {
		t.Fatalf("want the call retried, got %d attempt(s)", len(sent))
	}
	t.Logf("%d attempts", len(sent))
	for i, attempt := range sent {
		if id := attempt.(*switchboardv1.SendMessageRequest).GetInternalMessageId(); id == "" || id != got.delivery.GetInternalMessageId() {
			t.Fatalf("attempt %d carried internal_message_id %q, the delivery has %q", i+1, id, got.delivery.GetInternalMessageId())
		}
	}
	posted := 0
	for _, message := range simMessages(t) {
		if message.Text == body {
			posted++
		}
	}
	if posted != 1 {
		t.Fatalf("want the message posted exactly once, slack-sim has it %d times", posted)
	}
}
