package switchboard_test

// What the tests share: the service the harness started (scripts/sdk_harness.py), clients
// of it, slack-sim's control API and the OAuth round trip against it.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	switchboard "github.com/switchboard/sdk/go"
	"github.com/switchboard/sdk/go/switchboardv1"
)

var (
	addr       = os.Getenv("SWITCHBOARD_ADDR")
	apiKey     = os.Getenv("SWITCHBOARD_API_KEY")
	jwtSecret  = os.Getenv("SWITCHBOARD_JWT_SECRET")
	simURL     = os.Getenv("SLACK_SIM_URL")
	harnessURL = os.Getenv("SWITCHBOARD_HARNESS_URL")
)

func TestMain(m *testing.M) {
	if addr == "" {
		fmt.Fprintln(os.Stderr, "these tests call a real switchboard: run them with "+
			"`scripts/sdk_harness.py -- scripts/sdk/go.sh test` from the repository root "+
			"(SWITCHBOARD_ADDR is not set)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// newClient is a client of the harness's service with its service key, unless options
// say otherwise.
func newClient(t *testing.T, options ...switchboard.Option) *switchboard.Client {
	t.Helper()
	options = append([]switchboard.Option{switchboard.WithInsecure(), switchboard.WithCredential(apiKey)}, options...)
	client, err := switchboard.New(addr, options...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// newTeam is a team id of this test alone, so tests do not see each other's integrations.
func newTeam(t *testing.T) string {
	return "go-" + strings.ToLower(t.Name()) + "-" + uuid.NewString()[:8]
}

// teamToken is a team token as the host product mints it: HS256 with claims team_id, exp.
func teamToken(team string) string {
	encode := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{"team_id": team, "exp": time.Now().Add(time.Hour).Unix()})
	signed := encode([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + encode(claims)
	mac := hmac.New(sha256.New, []byte(jwtSecret))
	mac.Write([]byte(signed))
	return signed + "." + encode(mac.Sum(nil))
}

// sim calls slack-sim's (or the harness's) control API and decodes the JSON answer, if any,
// into out.
func sim(t *testing.T, method, target string, body, out any) {
	t.Helper()
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	request, _ := http.NewRequest(method, target, bytes.NewReader(payload))
	request.Header.Set("content-type", "application/json")
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	if response.StatusCode >= 300 {
		t.Fatalf("%s %s: %s", method, target, response.Status)
	}
	if out != nil {
		if err := json.NewDecoder(response.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, target, err)
		}
	}
}

// newWorkspace creates a slack-sim workspace with the given channels and returns its id.
func newWorkspace(t *testing.T, channels ...string) string {
	var workspace struct{ ID string }
	sim(t, "POST", simURL+"/_sim/workspaces", map[string]string{"name": t.Name()}, &workspace)
	for _, name := range channels {
		sim(t, "POST", simURL+"/_sim/workspaces/"+workspace.ID+"/channels", map[string]string{"name": name}, nil)
	}
	return workspace.ID
}

// authorize starts an install of workspace for team and approves it at slack-sim, as a
// user's browser would: the redirect carries the code and the state.
func authorize(t *testing.T, client *switchboard.Client, team, workspace string) *switchboardv1.CompleteSlackOAuthRequest {
	t.Helper()
	start, err := client.Integrations.StartSlackOAuth(t.Context(), &switchboardv1.StartSlackOAuthRequest{TeamId: team})
	if err != nil {
		t.Fatal(err)
	}
	noRedirects := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	response, err := noRedirects.Get(start.GetAuthorizeUrl() + "&team=" + url.QueryEscape(workspace))
	if err != nil {
		t.Fatal(err)
	}
	response.Body.Close()
	location, err := response.Location()
	if err != nil {
		t.Fatalf("authorize: %s without a redirect: %v", response.Status, err)
	}
	query := location.Query()
	return &switchboardv1.CompleteSlackOAuthRequest{Code: query.Get("code"), State: query.Get("state")}
}

// install connects team to workspace and returns the new integration.
func install(t *testing.T, client *switchboard.Client, team, workspace string) *switchboardv1.Integration {
	t.Helper()
	integration, err := client.Integrations.CompleteSlackOAuth(t.Context(), authorize(t, client, team, workspace))
	if err != nil {
		t.Fatal(err)
	}
	return integration
}

// installWithChannel installs a fresh workspace with one channel, made the notification
// channel: an integration ready to send to, whose channel no other test posts to.
func installWithChannel(t *testing.T, client *switchboard.Client) (*switchboardv1.Integration, string) {
	t.Helper()
	workspace := newWorkspace(t, "deploys")
	integration := install(t, client, newTeam(t), workspace)
	for channel, err := range client.AllChannels(t.Context(), &switchboardv1.ListChannelsRequest{IntegrationId: integration.GetId()}) {
		if err != nil {
			t.Fatal(err)
		}
		if channel.GetName() == "deploys" {
			if _, err := client.Channels.SetNotificationChannel(t.Context(), &switchboardv1.SetNotificationChannelRequest{
				IntegrationId: integration.GetId(), ChannelId: channel.GetId(),
			}); err != nil {
				t.Fatal(err)
			}
			return integration, workspace
		}
	}
	t.Fatal("slack-sim did not list #deploys")
	return nil, ""
}

func text(body string) *switchboardv1.Message {
	return &switchboardv1.Message{Text: body}
}

type simMessage struct {
	Channel, Text, Ts string
	ThreadTs          string `json:"thread_ts"`
}

// simMessages is what slack-sim accepted, in order.
func simMessages(t *testing.T) []simMessage {
	var answer struct{ Messages []simMessage }
	sim(t, "GET", simURL+"/_sim/messages", nil, &answer)
	return answer.Messages
}

// eventually polls until done answers true; state is observed, never assumed after a sleep.
func eventually(t *testing.T, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !done(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
	}
}

// recorder is an interceptor that sees each attempt of a call (it runs inside the client's
// retries) and keeps a copy of what was sent.
type recorder struct {
	mu       sync.Mutex
	attempts map[string][]proto.Message
}

func record() (*recorder, switchboard.Option) {
	r := &recorder{attempts: map[string][]proto.Message{}}
	return r, switchboard.WithDialOptions(grpc.WithChainUnaryInterceptor(r.intercept))
}

func (r *recorder) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	r.mu.Lock()
	r.attempts[method] = append(r.attempts[method], proto.Clone(req.(proto.Message)))
	r.mu.Unlock()
	return invoker(ctx, method, req, reply, cc, opts...)
}

func (r *recorder) sent(method string) []proto.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts[method]
}
