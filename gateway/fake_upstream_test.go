package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard/gateway"
	pb "github.com/switchboard/sdk/go/switchboardv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// fakeIntegrations is an upstream whose ListPlatforms reports the metadata it got and then
// waits for release (closed by the test).
type fakeIntegrations struct {
	pb.UnimplementedIntegrationServiceServer
	calls   chan metadata.MD
	release chan struct{}
}

func (f *fakeIntegrations) ListPlatforms(ctx context.Context, _ *pb.ListPlatformsRequest) (*pb.ListPlatformsResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.calls <- md
	<-f.release
	return &pb.ListPlatformsResponse{Platforms: []*pb.Platform{{PlatformName: "slack"}}}, nil
}

func startFakeUpstream(t *testing.T) (string, *fakeIntegrations) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeIntegrations{calls: make(chan metadata.MD, 1), release: make(chan struct{})}
	srv := grpc.NewServer()
	pb.RegisterIntegrationServiceServer(srv, fake)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String(), fake
}

func TestHeadersReachUpstream(t *testing.T) {
	addr, fake := startFakeUpstream(t)
	close(fake.release)
	cfg := gateway.DefaultConfig()
	cfg.Upstream = addr
	base := startGateway(t, cfg)
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	do(t, "GET", base+"/v1/platforms", nil, "Authorization", "Bearer team-token",
		"traceparent", traceparent, "tracestate", "vendor=1").expect(t, 200)
	md := <-fake.calls
	for key, want := range map[string]string{"authorization": "Bearer team-token", "traceparent": traceparent, "tracestate": "vendor=1"} {
		if got := md.Get(key); len(got) != 1 || got[0] != want {
			t.Errorf("upstream metadata %s = %q, want %q", key, got, want)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	addr, fake := startFakeUpstream(t)
	listen, admin := freeAddr(t), freeAddr(t)
	cfg := gateway.DefaultConfig()
	cfg.Upstream, cfg.Addr, cfg.AdminAddr = addr, listen, admin
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- gateway.Run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	base := "http://" + listen
	eventually(t, 10*time.Second, func() error {
		_, err := http.Get("http://" + admin + "/healthz")
		return err
	})
	// With an admin address, the probes and metrics are there and not on the API's port.
	do(t, "GET", "http://"+admin+"/metrics", nil).expect(t, 200)
	do(t, "GET", base+"/metrics", nil).expect(t, http.StatusNotFound)

	// A request under way when the shutdown starts still gets its answer.
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Get(base + "/v1/platforms")
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	<-fake.calls
	stop()
	eventually(t, 10*time.Second, func() error {
		for _, a := range []string{listen, admin} {
			if _, err := net.Dial("tcp", a); err == nil {
				return fmt.Errorf("%s: %w", a, errNotYet) // still accepting
			}
		}
		return nil
	})
	close(fake.release)
	if code := <-answered; code != 200 {
		t.Fatalf("request under way at shutdown: HTTP %d (0: no answer)", code)
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the shutdown")
	}
}
