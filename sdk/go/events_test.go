package switchboard_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	switchboard "github.com/switchboard/sdk/go"
	"github.com/switchboard/sdk/go/switchboardv1"
)

// follow ranges over stream in the background and hands over each event (or the error
// that ended it).
func follow(ctx context.Context, stream *switchboard.EventStream) <-chan *switchboardv1.Event {
	events := make(chan *switchboardv1.Event)
	go func() {
		defer close(events)
		for event, err := range stream.All(ctx) {
			if err != nil {
				return
			}
			select {
			case events <- event:
			case <-ctx.Done():
				return
			}
		}
	}()
	return events
}

func next(t *testing.T, events <-chan *switchboardv1.Event) *switchboardv1.Event {
	t.Helper()
	select {
	case event, ok := <-events:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return event
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30 s")
		return nil
	}
}

// Sequential (no t.Parallel): it restarts the service under every other call.
func TestEventStreamResumesAcrossARestartWithNoGapOrRepeat(t *testing.T) {
	client := newClient(t)
	team := newTeam(t)
	integration := install(t, client, team, newWorkspace(t, "deploys"))
	stream := client.EventStream(&switchboardv1.StreamEventsRequest{TeamId: team},
		switchboard.StreamPolicy{InitialBackoff: 50 * time.Millisecond, MaxBackoff: time.Second})
	events := follow(t.Context(), stream)
	first := next(t, events)
	if first.GetType() != "integration.created" || first.GetIntegrationId() != integration.GetId() {
		t.Fatalf("want integration.created of %s first, got %v", integration.GetId(), first)
	}

	// The connection drops (SIGKILL); events are written while the stream reconnects.
	sim(t, "POST", harnessURL+"/restart", nil, nil)
	var channelID string
	for channel, err := range client.AllChannels(t.Context(), &switchboardv1.ListChannelsRequest{IntegrationId: integration.GetId()}) {
		if err != nil {
			t.Fatal(err)
		}
		channelID = channel.GetId()
	}
	if _, err := client.Channels.SetNotificationChannel(t.Context(), &switchboardv1.SetNotificationChannelRequest{IntegrationId: integration.GetId(), ChannelId: channelID}); err != nil {
		t.Fatal(err)
	}
	send := &switchboardv1.SendMessageRequest{IntegrationId: integration.GetId(), Message: text("after the restart"), WaitForDelivery: true}
	if _, err := client.Messaging.SendMessage(t.Context(), send); err != nil {
		t.Fatal(err)
	}

	streamed := []*switchboardv1.Event{first}
	for streamed[len(streamed)-1].GetDeliverySent().GetInternalMessageId() != send.GetInternalMessageId() {
		streamed = append(streamed, next(t, events))
	}
	listed, err := client.Events.ListEvents(t.Context(), &switchboardv1.ListEventsRequest{TeamId: team, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(streamed) != len(listed.GetEvents()) {
		t.Fatalf("streamed %d events, the log has %d", len(streamed), len(listed.GetEvents()))
	}
	for i, event := range listed.GetEvents() {
		if !proto.Equal(event, streamed[i]) {
			t.Fatalf("event %d: streamed %v, the log has %v", i, streamed[i], event)
		}
	}
	if stream.Cursor() != streamed[len(streamed)-1].GetCursor() {
		t.Fatalf("want the last event's cursor remembered, got %q", stream.Cursor())
	}
}

func TestEventStreamEndsOnErrorsARetryCannotCure(t *testing.T) {
	client := newClient(t)
	other := newClient(t, switchboard.WithCredential(teamToken(newTeam(t))))
	for _, c := range []struct {
		name   string
		client *switchboard.Client
		req    *switchboardv1.StreamEventsRequest
		want   []codes.Code
	}{
		{"another team's events", other, &switchboardv1.StreamEventsRequest{TeamId: newTeam(t)}, []codes.Code{codes.PermissionDenied}},
		{"a cursor that is not one", client, &switchboardv1.StreamEventsRequest{After: "not-a-cursor"}, []codes.Code{codes.InvalidArgument, codes.OutOfRange}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stream := c.client.EventStream(c.req, switchboard.StreamPolicy{})

			for event, err := range stream.All(t.Context()) {
				e, ok := switchboard.AsError(err)
				if event != nil || !ok || (e.Code != c.want[0] && e.Code != c.want[len(c.want)-1]) {
					t.Fatalf("want %v at once, got event %v, error %v", c.want, event, err)
				}
				if e.Code == codes.OutOfRange && e.Reason != switchboard.ReasonEventCursorExpired {
					t.Fatalf("want OUT_OF_RANGE with reason %s, got %v", switchboard.ReasonEventCursorExpired, e)
				}
			}
		})
	}
}
