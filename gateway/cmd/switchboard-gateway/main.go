// switchboard-gateway: the REST sidecar of switchboard (see gateway/README.md).
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard/gateway"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := gateway.ConfigFromEnv()
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := gateway.Run(ctx, cfg, log); err != nil {
		log.Error("switchboard-gateway", "err", err)
		os.Exit(1)
	}
}
