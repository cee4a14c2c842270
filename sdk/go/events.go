package switchboard

import (
	"context"
	"errors"
	"io"
	"iter"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard/sdk/go/switchboardv1"
)

// ReasonEventCursorExpired is the ErrorInfo reason of OUT_OF_RANGE from StreamEvents when
// the cursor is older than the retained events: resuming from it would skip some.
const ReasonEventCursorExpired = "EVENT_CURSOR_EXPIRED"

// StreamPolicy says how an EventStream reconnects after the stream dropped.
type StreamPolicy struct {
	// InitialBackoff is the pause before the first reconnect; each later pause in a row
	// doubles, up to MaxBackoff, with jitter. An event received resets it.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// MaxFailures is how many reconnects in a row may fail before the stream gives up
	// with the last error; 0 never gives up (until the context ends).
	MaxFailures int
}

// DefaultStreamPolicy: pauses of about 200 ms doubling to 5 s, never giving up.
var DefaultStreamPolicy = StreamPolicy{InitialBackoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second}

// EventStream follows StreamEvents across dropped connections: it remembers the cursor
// of the last event it yielded and reconnects with it as `after`, so the events come in
// log order with no gap and no repeat. Create it with Client.EventStream.
type EventStream struct {
	events switchboardv1.EventServiceClient
	req    *switchboardv1.StreamEventsRequest
	policy StreamPolicy
	opts   []grpc.CallOption
	cursor string
}

// EventStream returns a follower of the events matching req (team, types), starting after
// req.After (empty: every retained event). req is copied; policy's zero fields take
// DefaultStreamPolicy's values.
func (c *Client) EventStream(req *switchboardv1.StreamEventsRequest, policy StreamPolicy, opts ...grpc.CallOption) *EventStream {
	if policy.InitialBackoff <= 0 {
		policy.InitialBackoff = DefaultStreamPolicy.InitialBackoff
	}
	if policy.MaxBackoff <= 0 {
		policy.MaxBackoff = DefaultStreamPolicy.MaxBackoff
	}
	req = proto.CloneOf(req)
	return &EventStream{events: c.Events, req: req, policy: policy, opts: opts, cursor: req.GetAfter()}
}

// Cursor is the cursor of the last event yielded (or the starting one): keep it to resume
// in a later EventStream.
func (s *EventStream) Cursor() string { return s.cursor }

// All yields the events, following new ones until ctx ends or an error that reconnecting
// cannot cure: INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED or
// OUT_OF_RANGE (ReasonEventCursorExpired). That error (an *Error) ends the sequence; ctx
// ending ends it with ctx.Err(). Ranging again resumes after Cursor.
func (s *EventStream) All(ctx context.Context) iter.Seq2[*switchboardv1.Event, error] {
	return func(yield func(*switchboardv1.Event, error) bool) {
		backoff, failures := s.policy.InitialBackoff, 0
		for {
			err := s.follow(ctx, yield, func() { backoff, failures = s.policy.InitialBackoff, 0 })
			if errors.Is(err, errStopped) {
				return
			}
			if ctx.Err() != nil {
				yield(nil, ctx.Err())
				return
			}
			failures++
			if !reconnectable(err) || (s.policy.MaxFailures > 0 && failures > s.policy.MaxFailures) {
				yield(nil, err)
				return
			}
			select {
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			case <-time.After(backoff/2 + rand.N(backoff/2+1)):
			}
			backoff = min(2*backoff, s.policy.MaxBackoff)
		}
	}
}

// errStopped: the consumer stopped ranging.
var errStopped = errors.New("stopped")

// follow runs one StreamEvents call from the current cursor until it ends; progress is
// called on each event, so a stream that delivered something starts its backoff afresh.
func (s *EventStream) follow(ctx context.Context, yield func(*switchboardv1.Event, error) bool, progress func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the call when the consumer stops early
	req := proto.CloneOf(s.req)
	req.After = s.cursor
	stream, err := s.events.StreamEvents(ctx, req, s.opts...)
	if err != nil {
		return decoded(err)
	}
	for {
		event, err := stream.Recv()
		if err == io.EOF {
			// The service ended a stream that should follow forever (a shutdown): resume.
			return decoded(status.Error(codes.Unavailable, "event stream ended by the service"))
		}
		if err != nil {
			return decoded(err)
		}
		progress()
		s.cursor = event.GetCursor()
		if !yield(event, nil) {
			return errStopped
		}
	}
}

// reconnectable: the errors of a dropped connection or a restarting service. The rest say
// something about the request (or the cursor) that another try would not change.
func reconnectable(err error) bool {
	e, ok := AsError(err)
	if !ok {
		return false
	}
	switch e.Code {
	case codes.Unavailable, codes.Internal, codes.Unknown, codes.Aborted, codes.ResourceExhausted, codes.DeadlineExceeded:
		return true
	}
	return false
}

// decoded is err as *Error when it is a status.
func decoded(err error) error {
	if e, ok := AsError(err); ok {
		return e
	}
	return err
}
