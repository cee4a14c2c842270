package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/gateway"
)

func detail(t *testing.T, r response, typ string) map[string]any {
	t.Helper()
	details, _ := r.json["details"].([]any)
	for _, d := range details {
		if m, ok := d.(map[string]any); ok && m["@type"] == "type.googleapis.com/"+typ {
			return m
		}
	}
	t.Fatalf("no %s among the details of %s", typ, r.body)
	return nil
}

func TestRoutesWithPathParameters(t *testing.T) {
	base := defaultGateway(t)
	team := uniqueTeam(t)
	created := install(t, base, team).expect(t, 200)
	id := created.str(t, "id")

	// GET with a path parameter.
	got := do(t, "GET", base+"/v1/integrations/"+id, nil).expect(t, 200)
	if got.str(t, "teamId") != team || got.str(t, "status") != "INTEGRATION_STATUS_ACTIVE" {
		t.Fatalf("GetIntegration: %s", got.body)
	}
	// Query parameters.
	list := do(t, "GET", base+"/v1/integrations?teamId="+team, nil).expect(t, 200)
	if items, _ := list.json["integrations"].([]any); len(items) != 1 {
		t.Fatalf("ListIntegrations(team) = %s, want the one integration", list.body)
	}
	channels := do(t, "GET", base+"/v1/integrations/"+id+"/channels?nameQuery=alerts", nil).expect(t, 200)
	found, _ := channels.json["channels"].([]any)
	if len(found) != 1 {
		t.Fatalf("ListChannels(alerts) = %s", channels.body)
	}
	channel := found[0].(map[string]any)["id"].(string)

	// PUT and POST with path parameters and a body.
	do(t, "PUT", base+"/v1/integrations/"+id+"/notificationChannel", map[string]any{"channelId": channel}).expect(t, 200)
	sent := do(t, "POST", base+"/v1/integrations/"+id+"/messages", map[string]any{
		"internalMessageId": "gw-1", "message": map[string]any{"text": "through the gateway"},
	}).expect(t, 200)
	delivery := sent.str(t, "id")
	eventually(t, 20*time.Second, func() error {
		d := do(t, "GET", base+"/v1/deliveries/"+delivery, nil).expect(t, 200)
		if state := d.json["state"]; state != "DELIVERY_STATE_SENT" {
			return fmt.Errorf("delivery %s is %v", delivery, state)
		}
		return nil
	})
	// The same delivery at its canonical path, under its integration (AIP-122).
	if d := do(t, "GET", base+"/v1/integrations/"+id+"/deliveries/"+delivery, nil).expect(t, 200); d.str(t, "id") != delivery {
		t.Fatalf("GetDelivery at the canonical path: %s", d.body)
	}
	// PATCH with a field mask, on the path {integration.id} (AIP-134).
	renamed := do(t, "PATCH", base+"/v1/integrations/"+id+"?updateMask=name", map[string]any{"name": "Renamed"}).expect(t, 200)
	if renamed.json["name"] != "Renamed" || renamed.json["enabled"] != true {
		t.Fatalf("UpdateIntegration: %s", renamed.body)
	}
	// A custom method (AIP-136) on the resource.
	health := do(t, "POST", base+"/v1/integrations/"+id+":checkHealth", nil).expect(t, 200)
	if health.json["integrationId"] != id {
		t.Fatalf("CheckIntegrationHealth: %s", health.body)
	}
}

func TestDuplicateInstallIsConflictWithReconnectDetails(t *testing.T) {
	base := defaultGateway(t)
	team := uniqueTeam(t)
	first := install(t, base, team).expect(t, 200)
	id := first.str(t, "id")

	dup := install(t, base, team).expect(t, http.StatusConflict)
	if dup.json["code"] != float64(6) { // ALREADY_EXISTS
		t.Fatalf("duplicate install: %s", dup.body)
	}
	info := detail(t, dup, "google.rpc.ErrorInfo")
	if info["domain"] != "switchboard" || info["reason"] == "" {
		t.Fatalf("ErrorInfo: %v", info)
	}
	rd := detail(t, dup, "switchboard.v1.ReconnectDetails")
	existing, _ := rd["existingIntegration"].(map[string]any)
	token, _ := rd["reconnectToken"].(string)
	if existing["id"] != id || token == "" || rd["reconnectTokenExpireTime"] == nil {
		t.Fatalf("ReconnectDetails: %v", rd)
	}

	reconnected := do(t, "POST", base+"/v1/integrations/"+id+":reconnect",
		map[string]any{"reconnectToken": token, "requestId": uuid(t)}).expect(t, 200)
	if reconnected.str(t, "id") != id || reconnected.json["status"] != "INTEGRATION_STATUS_ACTIVE" {
		t.Fatalf("reconnect: %s", reconnected.body)
	}
	// The token is single use: the error marshals with its details too.
	again := do(t, "POST", base+"/v1/integrations/"+id+":reconnect",
		map[string]any{"reconnectToken": token, "requestId": uuid(t)})
	if again.code/100 != 4 || again.json["code"] == nil {
		t.Fatalf("reused reconnect token: HTTP %d %s", again.code, again.body)
	}
	detail(t, again, "google.rpc.ErrorInfo")
}

func TestAuthorizationPassesThrough(t *testing.T) {
	base := defaultGateway(t)
	missing := do(t, "GET", base+"/v1/platforms", nil, "Authorization", "").expect(t, http.StatusUnauthorized)
	if missing.json["code"] != float64(16) || detail(t, missing, "google.rpc.ErrorInfo")["reason"] == "" {
		t.Fatalf("no credential: %s", missing.body)
	}
	if got := missing.header.Get("WWW-Authenticate"); got != `Bearer realm="switchboard"` {
		t.Fatalf("WWW-Authenticate = %q", got)
	}
	do(t, "GET", base+"/v1/platforms", nil, "Authorization", "Bearer wrong-key").expect(t, http.StatusUnauthorized)
	ok := do(t, "GET", base+"/v1/platforms", nil).expect(t, 200)
	if ok.header.Get("Grpc-Metadata-Content-Type") != "" || ok.header.Get("Content-Type") != "application/json" {
		t.Fatalf("response headers: %v", ok.header)
	}
	if platforms, _ := ok.json["platforms"].([]any); len(platforms) == 0 {
		t.Fatalf("ListPlatforms: %s", ok.body)
	}
	// A known path with another method is 405, not grpc-gateway's 501.
	do(t, "TRACE", base+"/v1/platforms", nil).expect(t, http.StatusMethodNotAllowed)
	// Bad input: 400 with the field violations.
	bad := do(t, "GET", base+"/v1/integrations/not-a-uuid", nil).expect(t, http.StatusBadRequest)
	detail(t, bad, "google.rpc.BadRequest")
}

func TestCORSAllowList(t *testing.T) {
	const listed, unlisted = "https://console.example.com", "https://evil.example.com"
	cfg := testConfig(t)
	cfg.CORSOrigins = []string{listed, "http://localhost:5173"}
	base := startGateway(t, cfg)

	pre := do(t, "OPTIONS", base+"/v1/integrations", nil, "Origin", listed,
		"Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization, content-type, traceparent")
	pre.expect(t, http.StatusNoContent)
	h := pre.header
	if h.Get("Access-Control-Allow-Origin") != listed || h.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight headers: %v", h)
	}
	for _, want := range []string{"PATCH", "DELETE", "POST", "GET"} {
		if !strings.Contains(h.Get("Access-Control-Allow-Methods"), want) {
			t.Fatalf("Allow-Methods %q lacks %s", h.Get("Access-Control-Allow-Methods"), want)
		}
	}
	for _, want := range []string{"authorization", "content-type", "traceparent"} {
		if !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), want) {
			t.Fatalf("Allow-Headers %q lacks %s", h.Get("Access-Control-Allow-Headers"), want)
		}
	}
	actual := do(t, "GET", base+"/v1/platforms", nil, "Origin", listed).expect(t, 200)
	if actual.header.Get("Access-Control-Allow-Origin") != listed || !strings.Contains(actual.header.Get("Vary"), "Origin") {
		t.Fatalf("actual request from %s: %v", listed, actual.header)
	}

	for _, r := range []response{
		do(t, "OPTIONS", base+"/v1/integrations", nil, "Origin", unlisted, "Access-Control-Request-Method", "GET"),
		do(t, "GET", base+"/v1/platforms", nil, "Origin", unlisted),
	} {
		for name := range r.header {
			if strings.HasPrefix(name, "Access-Control-") {
				t.Fatalf("unlisted origin got %s: %v", name, r.header)
			}
		}
	}
	// Without an allow-list, no CORS at all.
	plain := do(t, "GET", defaultGateway(t)+"/v1/platforms", nil, "Origin", listed).expect(t, 200)
	if plain.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS without an allow-list: %v", plain.header)
	}
}

func TestBodyLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxBodyBytes = 1024
	base := startGateway(t, cfg)
	big := []byte(fmt.Sprintf(`{"teamId": "%s"}`, strings.Repeat("x", 2000)))

	declared := do(t, "POST", base+"/v1/integrations:startSlackOAuth", big).expect(t, http.StatusRequestEntityTooLarge)
	if declared.json["code"] != float64(3) {
		t.Fatalf("413 body: %s", declared.body)
	}
	// A chunked body (no Content-Length: the reader's length is unknown to net/http) is cut
	// off at the limit as it is read.
	req, _ := http.NewRequest("POST", base+"/v1/integrations:startSlackOAuth", struct{ *strings.Reader }{strings.NewReader(string(big))})
	req.Header.Set("Authorization", "Bearer "+env(t, "SWITCHBOARD_API_KEY"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over the limit: HTTP %d", resp.StatusCode)
	}
	// Under the limit goes through.
	do(t, "POST", base+"/v1/integrations:startSlackOAuth", map[string]any{"teamId": uniqueTeam(t)}).expect(t, 200)
}

func TestUpstreamDown(t *testing.T) {
	up := defaultGateway(t)
	if r := do(t, "GET", up+"/healthz", nil).expect(t, 200); string(r.body) != "ok\n" {
		t.Fatalf("healthz: %q", r.body)
	}

	cfg := gateway.DefaultConfig()
	cfg.Upstream = freeAddr(t) // nothing listens there
	down := startGateway(t, cfg)
	eventually(t, 10*time.Second, func() error {
		if r := do(t, "GET", down+"/healthz", nil); r.code != http.StatusServiceUnavailable {
			return fmt.Errorf("healthz: HTTP %d %s", r.code, r.body)
		}
		return nil
	})
	r := do(t, "GET", down+"/v1/platforms", nil).expect(t, http.StatusServiceUnavailable)
	if r.json["code"] != float64(14) { // UNAVAILABLE
		t.Fatalf("call with the upstream down: %s", r.body)
	}
}

func TestMetricsUseRoutePatterns(t *testing.T) {
	base := defaultGateway(t)
	id := uuid(t)
	do(t, "GET", base+"/v1/integrations/"+id, nil).expect(t, http.StatusNotFound)
	do(t, "GET", base+"/no/such/route", nil).expect(t, http.StatusNotFound)
	metrics := string(do(t, "GET", base+"/metrics", nil).expect(t, 200).body)
	for _, want := range []string{
		`switchboard_gateway_http_requests_total{code="404",method="GET",route="/v1/integrations/{integration_id}"} 1`,
		`switchboard_gateway_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, id) || strings.Contains(metrics, "/no/such/route") {
		t.Fatal("metrics carry a raw path")
	}
}
