package switchboard_test

// EventStream against an in-process EventService that drops the stream: what the helper
// itself does (resume from the last cursor, stop on what a retry cannot cure), checked
// without the real service, so it runs before the service side of EventService exists.

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	switchboard "github.com/switchboard/sdk/go"
	"github.com/switchboard/sdk/go/switchboardv1"
)

// flakyLog serves a fixed log of events, cursor = position; each call ends after
// dropAfter events with UNAVAILABLE until the log is through. It records every `after`.
type flakyLog struct {
	switchboardv1.UnimplementedEventServiceServer
	events    int
	dropAfter int
	refuse    codes.Code

	mu     sync.Mutex
	afters []string
}

func (l *flakyLog) StreamEvents(req *switchboardv1.StreamEventsRequest, stream grpc.ServerStreamingServer[switchboardv1.Event]) error {
	l.mu.Lock()
	l.afters = append(l.afters, req.GetAfter())
	l.mu.Unlock()
	if l.refuse != codes.OK {
		return status.Error(l.refuse, "refused")
	}
	next := 0
	if req.GetAfter() != "" {
		n, err := strconv.Atoi(req.GetAfter())
		if err != nil {
			return status.Error(codes.InvalidArgument, "bad cursor")
		}
		next = n + 1
	}
	for sent := 0; next < l.events; next, sent = next+1, sent+1 {
		if sent == l.dropAfter {
			return status.Error(codes.Unavailable, "dropped")
		}
		if err := stream.Send(&switchboardv1.Event{Id: fmt.Sprint("evt-", next), Cursor: strconv.Itoa(next)}); err != nil {
			return err
		}
	}
	<-stream.Context().Done() // then follows: nothing new comes
	return nil
}

func (l *flakyLog) calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.afters)
}

func serve(t *testing.T, log *flakyLog) *switchboard.Client {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	switchboardv1.RegisterEventServiceServer(server, log)
	go server.Serve(listener)
	t.Cleanup(server.Stop)
	client, err := switchboard.New(listener.Addr().String(), switchboard.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func TestEventStreamResumesFromTheLastCursorAfterEachDrop(t *testing.T) {
	log := &flakyLog{events: 7, dropAfter: 3}
	client := serve(t, log)
	stream := client.EventStream(&switchboardv1.StreamEventsRequest{After: ""},
		switchboard.StreamPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})

	var ids []string
	for event, err := range stream.All(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if ids = append(ids, event.GetId()); len(ids) == 7 {
			break
		}
	}

	if want := []string{"evt-0", "evt-1", "evt-2", "evt-3", "evt-4", "evt-5", "evt-6"}; !slices.Equal(ids, want) {
		t.Fatalf("want every event once, in order: %v, got %v", want, ids)
	}
	if want := []string{"", "2", "5"}; !slices.Equal(log.calls(), want) {
		t.Fatalf("want the calls to resume after the last cursor %v, got %v", want, log.calls())
	}
	if stream.Cursor() != "6" {
		t.Fatalf("want the last cursor remembered, got %q", stream.Cursor())
	}
}

func TestEventStreamDoesNotRetryWhatARetryCannotCure(t *testing.T) {
	for _, code := range []codes.Code{codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated, codes.OutOfRange, codes.Unimplemented} {
		t.Run(code.String(), func(t *testing.T) {
			log := &flakyLog{refuse: code}
			client := serve(t, log)

			var got []error
			for _, err := range client.EventStream(&switchboardv1.StreamEventsRequest{}, switchboard.StreamPolicy{InitialBackoff: time.Millisecond}).All(t.Context()) {
				got = append(got, err)
			}

			if e, ok := switchboard.AsError(got[0]); len(got) != 1 || !ok || e.Code != code {
				t.Fatalf("want one %v error, got %v", code, got)
			}
			if len(log.calls()) != 1 {
				t.Fatalf("want a single call, got %d", len(log.calls()))
			}
		})
	}
}

func TestEventStreamGivesUpAfterMaxFailures(t *testing.T) {
	log := &flakyLog{events: 5, dropAfter: 0} // drops every call before any event
	client := serve(t, log)

	var got []error
	for _, err := range client.EventStream(&switchboardv1.StreamEventsRequest{After: "1"},
		switchboard.StreamPolicy{InitialBackoff: time.Millisecond, MaxFailures: 2}).All(t.Context()) {
		got = append(got, err)
	}

	if e, ok := switchboard.AsError(got[0]); len(got) != 1 || !ok || e.Code != codes.Unavailable {
		t.Fatalf("want one UNAVAILABLE error, got %v", got)
	}
	if want := []string{"1", "1", "1"}; !slices.Equal(log.calls(), want) {
		t.Fatalf("want the first call and 2 reconnects, all after cursor 1, got %v", log.calls())
	}
}
