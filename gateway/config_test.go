package gateway_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/switchboard/gateway"
)

func TestConfigFromEnv(t *testing.T) {
	// Whatever the environment running the tests has: empty is unset.
	for _, name := range []string{"UPSTREAM", "ADMIN_ADDR", "READ_TIMEOUT", "IDLE_TIMEOUT", "SHUTDOWN_TIMEOUT"} {
		t.Setenv("SWITCHBOARD_GATEWAY_"+name, "")
	}
	t.Setenv("SWITCHBOARD_GATEWAY_ADDR", "127.0.0.1:9999")
	t.Setenv("SWITCHBOARD_GATEWAY_CORS_ORIGINS", " https://a.example , http://localhost:5173,")
	t.Setenv("SWITCHBOARD_GATEWAY_MAX_BODY_BYTES", "2048")
	t.Setenv("SWITCHBOARD_GATEWAY_WRITE_TIMEOUT", "90s")
	cfg, err := gateway.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := gateway.DefaultConfig()
	want.Addr, want.MaxBodyBytes, want.WriteTimeout = "127.0.0.1:9999", 2048, 90*time.Second
	want.CORSOrigins = []string{"https://a.example", "http://localhost:5173"}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("ConfigFromEnv = %+v, want %+v", cfg, want)
	}

	for name, value := range map[string]string{
		"SWITCHBOARD_GATEWAY_MAX_BODY_BYTES": "1MB",
		"SWITCHBOARD_GATEWAY_READ_TIMEOUT":   "10",
		"SWITCHBOARD_GATEWAY_IDLE_TIMEOUT":   "-1s",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			if _, err := gateway.ConfigFromEnv(); err == nil {
				t.Fatalf("%s=%s accepted", name, value)
			}
		})
	}
}
