// Command events shows the two ways a product hears from switchboard: it subscribes a
// webhook receiver (verifying each delivery's Standard Webhooks signature) and follows the
// event stream (which resumes by itself after a dropped connection), sends a message to the
// team's integration, and prints the message's `delivery.sent` event as both saw it.
//
// With `make run` going and the quickstart run once (it installs the app for the team),
// from sdk/go:
//
//	go run ./examples/events
//
// It reads SWITCHBOARD_ADDR (default localhost:50051), SWITCHBOARD_API_KEY (default: the
// key `make run` keeps in ../../.local/dev-api-key), SWITCHBOARD_TEAM_ID (default
// example-team) and SWITCHBOARD_WEBHOOK_HOST (the address the service can reach this
// receiver at; default 127.0.0.1, which the service accepts with
// SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true, as `make run` sets).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	switchboard "github.com/switchboard/sdk/go"
	"github.com/switchboard/sdk/go/switchboardv1"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "events:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	team := getenv("SWITCHBOARD_TEAM_ID", "example-team")
	key := os.Getenv("SWITCHBOARD_API_KEY")
	if key == "" {
		saved, err := os.ReadFile("../../.local/dev-api-key")
		if err != nil {
			return errors.New("no API key: set SWITCHBOARD_API_KEY, or run `make run`, which writes .local/dev-api-key")
		}
		key = strings.TrimSpace(string(saved))
	}
	client, err := switchboard.New(getenv("SWITCHBOARD_ADDR", "localhost:50051"),
		switchboard.WithInsecure(), switchboard.WithCredential(key))
	if err != nil {
		return err
	}
	defer client.Close()

	// 1. A webhook receiver, subscribed to the team's delivery events. The signing secret
	// is answered once, here.
	listener, err := net.Listen("tcp", getenv("SWITCHBOARD_WEBHOOK_HOST", "127.0.0.1")+":0")
	if err != nil {
		return err
	}
	subscription, err := client.Events.CreateWebhookSubscription(ctx, &switchboardv1.CreateWebhookSubscriptionRequest{
		Subscription: &switchboardv1.WebhookSubscription{
			TeamId: team, Url: "http://" + listener.Addr().String() + "/webhooks", EventTypes: []string{"delivery.sent"},
		},
	})
	if err != nil {
		return err
	}
	defer client.Events.DeleteWebhookSubscription(context.WithoutCancel(ctx), &switchboardv1.DeleteWebhookSubscriptionRequest{SubscriptionId: subscription.GetId()})
	verifier, err := switchboard.NewWebhookVerifier(subscription.GetSigningSecret())
	if err != nil {
		return err
	}
	webhooks := make(chan *switchboardv1.Event, 16)
	server := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		event, err := verifier.VerifyRequest(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest) // not from switchboard: ignore it
			return
		}
		select {
		case webhooks <- event:
		default: // already printed what it came for
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go server.Serve(listener)
	defer server.Close()
	fmt.Fprintf(out, "webhook subscription %s -> %s\n", subscription.GetId(), subscription.GetUrl())

	// 2. Follow the team's delivery events from the start of the log.
	stream := client.EventStream(&switchboardv1.StreamEventsRequest{TeamId: team, Types: []string{"delivery.sent"}}, switchboard.StreamPolicy{})
	streamed := make(chan *switchboardv1.Event, 16)
	go func() {
		for event, err := range stream.All(ctx) {
			if err != nil {
				fmt.Fprintln(out, "stream ended:", err)
				close(streamed)
				return
			}
			select {
			case streamed <- event:
			case <-ctx.Done():
				return
			}
		}
	}()

	// 3. Something to hear about: a message to the team's integration.
	var integration *switchboardv1.Integration
	for found, err := range client.AllIntegrations(ctx, &switchboardv1.ListIntegrationsRequest{TeamId: team}) {
		if err != nil {
			return err
		}
		integration = found
	}
	if integration == nil {
		return fmt.Errorf("team %s has no integration: run the quickstart first", team)
	}
	send := &switchboardv1.SendMessageRequest{
		IntegrationId: integration.GetId(), Message: &switchboardv1.Message{Text: "Hello from the events example"}, WaitForDelivery: true,
	}
	if _, err := client.Messaging.SendMessage(ctx, send); err != nil {
		return err
	}

	// 4. Both see its delivery.sent (the stream replays older ones first: skip those).
	for _, source := range []struct {
		name   string
		events chan *switchboardv1.Event
	}{{"stream", streamed}, {"webhook", webhooks}} {
		for {
			var event *switchboardv1.Event
			select {
			case event = <-source.events:
			case <-ctx.Done():
				return fmt.Errorf("%s: no delivery.sent for %s: %w", source.name, send.GetInternalMessageId(), ctx.Err())
			}
			if event == nil {
				return fmt.Errorf("%s: ended before the delivery.sent", source.name)
			}
			if event.GetDeliverySent().GetInternalMessageId() == send.GetInternalMessageId() {
				fmt.Fprintf(out, "%s: %s\n", source.name, protojson.Format(event))
				break
			}
		}
	}
	fmt.Fprintf(out, "resume the stream later from cursor %q\n", stream.Cursor())
	return nil
}

func getenv(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
