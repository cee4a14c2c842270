package switchboard

import (
	"context"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// RetryPolicy says how a call that answers UNAVAILABLE is tried again. Only UNAVAILABLE
// is retried: it means the call may be tried again as it is, and the ids the client fills
// in make a repeat of a mutation apply once. A zero field takes DefaultRetryPolicy's value.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt too: 1 turns retries off.
	MaxAttempts int
	// InitialBackoff is the pause before the second attempt; each later pause doubles, up to
	// MaxBackoff. Each pause is drawn at random between half and all of that (jitter, so
	// clients that failed together do not come back together), and is at least the
	// RetryInfo delay the service answered. No pause runs past the call's deadline: the
	// last error is returned instead.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

// DefaultRetryPolicy: 5 attempts, pauses of about 200 ms, 400 ms, 800 ms, 1.6 s (at most 5 s).
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:    5,
	InitialBackoff: 200 * time.Millisecond,
	MaxBackoff:     5 * time.Second,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetryPolicy.MaxAttempts
	}
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = DefaultRetryPolicy.InitialBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = DefaultRetryPolicy.MaxBackoff
	}
	return p
}

// withRetry sits inside withDeadline and fillIDs: every attempt shares the call's deadline
// and sends the same request, ids included.
func withRetry(p RetryPolicy) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		backoff := p.InitialBackoff
		for attempt := 1; ; attempt++ {
			err := invoker(ctx, method, req, reply, cc, opts...)
			decoded, ok := AsError(err)
			if !ok || decoded.Code != codes.Unavailable || attempt >= p.MaxAttempts {
				return err
			}
			pause := max(backoff/2+rand.N(backoff/2+1), decoded.RetryDelay)
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= pause {
				return err
			}
			select {
			case <-ctx.Done():
				return err
			case <-time.After(pause):
			}
			backoff = min(2*backoff, p.MaxBackoff)
		}
	}
}
