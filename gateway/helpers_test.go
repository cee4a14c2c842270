package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/gateway"
)

// The harness (scripts/sdk_harness.py) runs a real switchboard and slack-sim.
func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the tests under scripts/sdk_harness.py (scripts/sdk/gateway.sh test)", name)
	}
	return v
}

// testConfig is the default configuration pointing at the harness's service.
func testConfig(t *testing.T) gateway.Config {
	cfg := gateway.DefaultConfig()
	cfg.Upstream = env(t, "SWITCHBOARD_ADDR")
	return cfg
}

// startGateway serves a gateway with cfg on a random loopback port and returns its base URL.
func startGateway(t *testing.T, cfg gateway.Config) string {
	t.Helper()
	g, err := gateway.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := g.Server()
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		g.Close()
	})
	return "http://" + ln.Addr().String()
}

// freeAddr is a loopback address nothing listens on (a port the system just handed out).
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func defaultGateway(t *testing.T) string { return startGateway(t, testConfig(t)) }

// response is an HTTP answer with its body read and, when JSON, decoded.
type response struct {
	code   int
	header http.Header
	body   []byte
	json   map[string]any
}

var noRedirects = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends method url with body (JSON-encoded unless nil or []byte) and headers (name,
// value pairs); "authorization" defaults to the harness's service key unless given ("" = none).
func do(t *testing.T, method, url string, body any, headers ...string) response {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		reader = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+env(t, "SWITCHBOARD_API_KEY"))
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{code: resp.StatusCode, header: resp.Header, body: data}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(data) > 0 {
		if err := json.Unmarshal(data, &r.json); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v: %s", method, url, err, data)
		}
	}
	return r
}

// expect fails unless r has HTTP status code.
func (r response) expect(t *testing.T, code int) response {
	t.Helper()
	if r.code != code {
		t.Fatalf("HTTP %d, want %d: %s", r.code, code, r.body)
	}
	return r
}

func (r response) str(t *testing.T, field string) string {
	t.Helper()
	s, ok := r.json[field].(string)
	if !ok || s == "" {
		t.Fatalf("no %q in %s", field, r.body)
	}
	return s
}

func uniqueTeam(t *testing.T) string {
	var b [6]byte
	rand.Read(b[:])
	return "gw-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + hex.EncodeToString(b[:])
}

func uuid(t *testing.T) string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// install runs the Slack OAuth flow for team through REST against slack-sim and returns
// the answer of completeSlackOAuth (the Integration, or the error).
func install(t *testing.T, base, team string) response {
	t.Helper()
	start := do(t, "POST", base+"/v1/integrations:startSlackOAuth", map[string]any{"teamId": team}).expect(t, 200)
	authorize := start.str(t, "authorizeUrl") + "&team=" + url.QueryEscape(env(t, "SLACK_SIM_WORKSPACE_ID"))
	resp, err := noRedirects.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	location, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode/100 != 3 {
		t.Fatalf("authorize: HTTP %d, Location %q (%v)", resp.StatusCode, resp.Header.Get("Location"), err)
	}
	q := location.Query()
	if q.Get("state") != start.str(t, "state") || q.Get("code") == "" {
		t.Fatalf("redirect %s: want the code and state %s", location, start.str(t, "state"))
	}
	return do(t, "POST", base+"/v1/integrations:completeSlackOAuth",
		map[string]any{"code": q.Get("code"), "state": q.Get("state")})
}

// eventually polls check every 50ms until it returns nil or the deadline passes.
func eventually(t *testing.T, within time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %v", within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var errNotYet = errors.New("not yet")
