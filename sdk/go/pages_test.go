package switchboard_test

import (
	"fmt"
	"iter"
	"slices"
	"testing"

	"github.com/switchboard/sdk/go/switchboardv1"
)

// collect walks seq to its end and keeps each item's key.
func collect[T any](t *testing.T, seq iter.Seq2[T, error], key func(T) string) []string {
	t.Helper()
	var keys []string
	for item, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key(item))
	}
	return keys
}

func keys[T any](items []T, key func(T) string) []string {
	var keys []string
	for _, item := range items {
		keys = append(keys, key(item))
	}
	return keys
}

func TestPageIterators(t *testing.T) {
	t.Parallel()
	calls, recording := record()
	client := newClient(t, recording)
	ctx := t.Context()

	t.Run("integrations", func(t *testing.T) {
		team := newTeam(t)
		var installed []string
		for range 3 {
			installed = append(installed, install(t, client, team, newWorkspace(t)).GetId())
		}
		list := &switchboardv1.ListIntegrationsRequest{TeamId: team, PageSize: 1}
		if got := collect(t, client.AllIntegrations(ctx, list), (*switchboardv1.Integration).GetId); !slices.Equal(got, installed) {
			t.Fatalf("want every integration once, in creation order: %v, got %v", installed, got)
		}
		if n := len(calls.sent(switchboardv1.IntegrationService_ListIntegrations_FullMethodName)); n < 3 {
			t.Fatalf("want a call per page of 1, got %d calls", n)
		}

		// Stopping after the first item fetches no second page.
		before := len(calls.sent(switchboardv1.IntegrationService_ListIntegrations_FullMethodName))
		for _, err := range client.AllIntegrations(ctx, list) {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if n := len(calls.sent(switchboardv1.IntegrationService_ListIntegrations_FullMethodName)) - before; n != 1 {
			t.Fatalf("one item taken: want 1 page fetched, got %d", n)
		}
	})

	t.Run("channels", func(t *testing.T) {
		names := []string{"page-1", "page-2", "page-3", "page-4", "page-5"}
		integration := install(t, client, newTeam(t), newWorkspace(t, names...))
		onePage, err := client.Channels.ListChannels(ctx, &switchboardv1.ListChannelsRequest{IntegrationId: integration.GetId(), PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		want := keys(onePage.GetChannels(), (*switchboardv1.Channel).GetName)
		got := collect(t, client.AllChannels(ctx, &switchboardv1.ListChannelsRequest{IntegrationId: integration.GetId(), PageSize: 2}), (*switchboardv1.Channel).GetName)
		if !slices.Equal(got, want) || len(got) != int(onePage.GetTotalSize()) {
			t.Fatalf("pages of 2: want %v (%d), got %v", want, onePage.GetTotalSize(), got)
		}
		for _, name := range names {
			if !slices.Contains(got, name) {
				t.Fatalf("#%s missing from %v", name, got)
			}
		}
	})

	t.Run("deliveries", func(t *testing.T) {
		integration, _ := installWithChannel(t, client)
		var sent []string
		for i := range 3 {
			delivery, err := client.Messaging.SendMessage(ctx, &switchboardv1.SendMessageRequest{IntegrationId: integration.GetId(), Message: text(fmt.Sprint("page ", i))})
			if err != nil {
				t.Fatal(err)
			}
			sent = append(sent, delivery.GetId())
		}
		onePage, err := client.Messaging.ListDeliveries(ctx, &switchboardv1.ListDeliveriesRequest{IntegrationId: integration.GetId(), PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		want := keys(onePage.GetDeliveries(), (*switchboardv1.Delivery).GetId)
		got := collect(t, client.AllDeliveries(ctx, &switchboardv1.ListDeliveriesRequest{IntegrationId: integration.GetId(), PageSize: 2}), (*switchboardv1.Delivery).GetId)
		if !slices.Equal(got, want) || len(got) != 3 {
			t.Fatalf("pages of 2: want %v, got %v", want, got)
		}
		for _, id := range sent {
			if !slices.Contains(got, id) {
				t.Fatalf("delivery %s missing from %v", id, got)
			}
		}
	})
}
