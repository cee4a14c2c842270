package gateway

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the gateway's configuration; ConfigFromEnv reads it from SWITCHBOARD_GATEWAY_*
// (see README.md for each setting and its default).
type Config struct {
	Addr            string        // SWITCHBOARD_GATEWAY_ADDR
	AdminAddr       string        // SWITCHBOARD_GATEWAY_ADMIN_ADDR: /healthz and /metrics there when set
	Upstream        string        // SWITCHBOARD_GATEWAY_UPSTREAM: host:port of switchboard's gRPC API
	CORSOrigins     []string      // SWITCHBOARD_GATEWAY_CORS_ORIGINS: exact origins; none = no CORS
	MaxBodyBytes    int64         // SWITCHBOARD_GATEWAY_MAX_BODY_BYTES
	ReadTimeout     time.Duration // SWITCHBOARD_GATEWAY_READ_TIMEOUT
	WriteTimeout    time.Duration // SWITCHBOARD_GATEWAY_WRITE_TIMEOUT
	IdleTimeout     time.Duration // SWITCHBOARD_GATEWAY_IDLE_TIMEOUT
	ShutdownTimeout time.Duration // SWITCHBOARD_GATEWAY_SHUTDOWN_TIMEOUT
}

// DefaultConfig is the configuration with every setting at its default.
func DefaultConfig() Config {
	return Config{
		Addr:            ":8081",
		Upstream:        "localhost:50051",
		MaxBodyBytes:    1 << 20,
		ReadTimeout:     10 * time.Second,
		WriteTimeout:    60 * time.Second,
		IdleTimeout:     120 * time.Second,
		ShutdownTimeout: 20 * time.Second,
	}
}

// ConfigFromEnv is DefaultConfig overridden by the SWITCHBOARD_GATEWAY_* variables that are
// set; a malformed value is an error rather than a silent default.
func ConfigFromEnv() (Config, error) {
	c := DefaultConfig()
	if v := os.Getenv("SWITCHBOARD_GATEWAY_ADDR"); v != "" {
		c.Addr = v
	}
	c.AdminAddr = os.Getenv("SWITCHBOARD_GATEWAY_ADMIN_ADDR")
	if v := os.Getenv("SWITCHBOARD_GATEWAY_UPSTREAM"); v != "" {
		c.Upstream = v
	}
	c.CORSOrigins = splitList(os.Getenv("SWITCHBOARD_GATEWAY_CORS_ORIGINS"))
	if v := os.Getenv("SWITCHBOARD_GATEWAY_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("SWITCHBOARD_GATEWAY_MAX_BODY_BYTES=%q: want a positive number of bytes", v)
		}
		c.MaxBodyBytes = n
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"SWITCHBOARD_GATEWAY_READ_TIMEOUT", &c.ReadTimeout},
		{"SWITCHBOARD_GATEWAY_WRITE_TIMEOUT", &c.WriteTimeout},
		{"SWITCHBOARD_GATEWAY_IDLE_TIMEOUT", &c.IdleTimeout},
		{"SWITCHBOARD_GATEWAY_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout},
	} {
		if v := os.Getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return c, fmt.Errorf("%s=%q: want a positive Go duration such as 30s", d.name, v)
			}
			*d.dst = t
		}
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
