// Command quickstart walks through switchboard with the Go SDK: it installs the Slack app
// for a team (against slack-sim), installs the same workspace again and reconnects with the
// ReconnectDetails of the ALREADY_EXISTS answer, picks #alerts as the notification channel,
// sends a deployment message and a threaded reply, and prints the deliveries and the
// team's dashboard.
//
// With `make run` going, from sdk/go:
//
//	go run ./examples/quickstart
//
// It reads SWITCHBOARD_ADDR (default localhost:50051), SWITCHBOARD_API_KEY (default: the
// key `make run` keeps in .local/dev-api-key) and SLACK_SIM_WORKSPACE_ID (the workspace to
// approve at slack-sim; default: the simulator's only one).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	switchboard "github.com/switchboard/sdk/go"
	"github.com/switchboard/sdk/go/switchboardv1"
)

// team is the host product's tenant the integration belongs to (SWITCHBOARD_TEAM_ID);
// a team of its own by default, so the README's walk-through for team-1 is left alone.
var team = getenv("SWITCHBOARD_TEAM_ID", "example-team")

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	key, err := apiKey()
	if err != nil {
		return err
	}
	client, err := switchboard.New(getenv("SWITCHBOARD_ADDR", "localhost:50051"),
		switchboard.WithInsecure(), switchboard.WithCredential(key))
	if err != nil {
		return err
	}
	defer client.Close()

	// 1. Install the app; then install the same workspace again, as a user who clicks
	// "Add to Slack" twice would: the second install reconnects the first integration.
	integration, err := install(ctx, client, out)
	if err != nil {
		return err
	}
	if _, err := install(ctx, client, out); err != nil {
		return err
	}

	// 2. Pick #alerts among the workspace's channels.
	var alerts *switchboardv1.Channel
	for channel, err := range client.AllChannels(ctx, &switchboardv1.ListChannelsRequest{IntegrationId: integration.GetId()}) {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "channel #%s (%s)\n", channel.GetName(), channel.GetId())
		if channel.GetName() == "alerts" {
			alerts = channel
		}
	}
	if alerts == nil {
		return errors.New("the workspace has no #alerts channel")
	}
	if _, err := client.Channels.SetNotificationChannel(ctx, &switchboardv1.SetNotificationChannelRequest{
		IntegrationId: integration.GetId(), ChannelId: alerts.GetId(),
	}); err != nil {
		return err
	}

	// 3. A templated message, then a reply in its thread; both wait until Slack has them.
	// The client gives the message an internal_message_id (written into the request), which
	// the reply names as its parent.
	send := &switchboardv1.SendMessageRequest{
		IntegrationId: integration.GetId(),
		Message: &switchboardv1.Message{Template: &switchboardv1.MessageTemplate{
			Name:      "deployment",
			Variables: map[string]string{"project": "api", "environment": "production", "version": "1.4.2"},
		}},
		MessageType:     "deployment",
		WaitForDelivery: true,
	}
	message, err := client.Messaging.SendMessage(ctx, send)
	if err := sent(out, "message", message, err); err != nil {
		return err
	}
	reply, err := client.Messaging.ReplyToMessage(ctx, &switchboardv1.ReplyToMessageRequest{
		IntegrationId:           integration.GetId(),
		ParentInternalMessageId: send.GetInternalMessageId(),
		Message:                 &switchboardv1.Message{Text: "Smoke tests passed :white_check_mark:"},
		WaitForDelivery:         true,
	})
	if err := sent(out, "reply", reply, err); err != nil {
		return err
	}

	// 4. The team's figures.
	stats, err := client.Monitoring.GetDashboardStats(ctx, &switchboardv1.GetDashboardStatsRequest{TeamId: team})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "dashboard:", format(stats))
	return nil
}

// install runs one OAuth install. When the team has that workspace already, the service
// answers ALREADY_EXISTS with ReconnectDetails, and the fresh tokens are applied to the
// existing integration instead.
func install(ctx context.Context, client *switchboard.Client, out io.Writer) (*switchboardv1.Integration, error) {
	start, err := client.Integrations.StartSlackOAuth(ctx, &switchboardv1.StartSlackOAuthRequest{TeamId: team})
	if err != nil {
		return nil, err
	}
	complete, err := approve(start.GetAuthorizeUrl())
	if err != nil {
		return nil, err
	}
	integration, err := client.Integrations.CompleteSlackOAuth(ctx, complete)
	if e, ok := switchboard.AsError(err); ok && e.Reconnect != nil {
		fmt.Fprintf(out, "%s: reconnecting integration %s\n", e.Reason, e.Reconnect.GetExistingIntegration().GetId())
		integration, err = client.Integrations.ReconnectIntegration(ctx, &switchboardv1.ReconnectIntegrationRequest{
			IntegrationId: e.Reconnect.GetExistingIntegration().GetId(), ReconnectToken: e.Reconnect.GetReconnectToken(),
		})
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "integration %s: %s, workspace %q, reconnected %d time(s)\n", integration.GetId(),
		integration.GetStatus(), integration.GetSlackWorkspace().GetWorkspaceName(), integration.GetReconnectCount())
	return integration, nil
}

// approve does what the user's browser does with the authorize URL: slack-sim approves at
// once and redirects to the app's callback with the code and the state.
func approve(authorizeURL string) (*switchboardv1.CompleteSlackOAuthRequest, error) {
	if workspace := os.Getenv("SLACK_SIM_WORKSPACE_ID"); workspace != "" {
		authorizeURL += "&team=" + workspace
	}
	browser := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	response, err := browser.Get(authorizeURL)
	if err != nil {
		return nil, err
	}
	response.Body.Close()
	callback, err := response.Location()
	if err != nil {
		return nil, fmt.Errorf("authorize answered %s without a redirect: %w", response.Status, err)
	}
	query := callback.Query()
	return &switchboardv1.CompleteSlackOAuthRequest{Code: query.Get("code"), State: query.Get("state")}, nil
}

// sent prints a delivery and fails unless it reached Slack.
func sent(out io.Writer, what string, delivery *switchboardv1.Delivery, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fmt.Fprintf(out, "%s: %s\n", what, format(delivery))
	if delivery.GetState() != switchboardv1.DeliveryState_DELIVERY_STATE_SENT {
		return fmt.Errorf("%s: not sent (%s)", what, delivery.GetLastError())
	}
	return nil
}

func format(message proto.Message) string {
	return protojson.MarshalOptions{EmitUnpopulated: true}.Format(message)
}

func getenv(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// apiKey is SWITCHBOARD_API_KEY, or the key `make run` wrote to .local/dev-api-key at the
// repository root (looked for from the working directory up).
func apiKey() (string, error) {
	if key := os.Getenv("SWITCHBOARD_API_KEY"); key != "" {
		return key, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if key, err := os.ReadFile(filepath.Join(dir, ".local", "dev-api-key")); err == nil {
			return strings.TrimSpace(string(key)), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no API key: set SWITCHBOARD_API_KEY, or start `make run`, which writes .local/dev-api-key")
		}
		dir = parent
	}
}
