// Package switchboard is a thin client for the switchboard gRPC API: the generated stubs of
// package switchboardv1, plus what every caller would otherwise write around them, applied
// to every call by interceptors: the credential, a default deadline, client-generated
// idempotency ids, retries of UNAVAILABLE with backoff, and errors decoded into *Error.
// Iterators walk every page of the List calls.
package switchboard

import (
	"context"
	"crypto/tls"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/switchboard/sdk/go/switchboardv1"
)

// DefaultTimeout bounds a call whose context has no deadline.
const DefaultTimeout = 30 * time.Second

// Client holds one connection and the service stubs that share it. The stubs are the
// generated ones: every RPC of the contract is called on them as it is.
type Client struct {
	Integrations switchboardv1.IntegrationServiceClient
	Channels     switchboardv1.ChannelServiceClient
	Messaging    switchboardv1.MessagingServiceClient
	Monitoring   switchboardv1.MonitoringServiceClient
	Events       switchboardv1.EventServiceClient

	conn *grpc.ClientConn
}

type settings struct {
	credential  string
	transport   credentials.TransportCredentials
	timeout     time.Duration
	retry       RetryPolicy
	dialOptions []grpc.DialOption
}

// Option configures New.
type Option func(*settings)

// WithCredential sends `authorization: Bearer <credential>` on every call: a service key
// or a team token (a JWT).
func WithCredential(credential string) Option {
	return func(s *settings) { s.credential = credential }
}

// WithTLS connects over TLS with the given configuration (nil: the system's roots). TLS with
// the system's roots is the default.
func WithTLS(config *tls.Config) Option {
	return func(s *settings) { s.transport = credentials.NewTLS(config) }
}

// WithInsecure connects in plaintext, as to a local `make run`.
func WithInsecure() Option {
	return func(s *settings) { s.transport = insecure.NewCredentials() }
}

// WithTimeout replaces DefaultTimeout, the deadline of a call whose context has none
// (0: no deadline). A context deadline, shorter or longer, always wins.
func WithTimeout(timeout time.Duration) Option {
	return func(s *settings) { s.timeout = timeout }
}

// WithRetry replaces DefaultRetryPolicy.
func WithRetry(policy RetryPolicy) Option {
	return func(s *settings) { s.retry = policy }
}

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option {
	return WithRetry(RetryPolicy{MaxAttempts: 1})
}

// WithDialOptions passes extra options to grpc.NewClient. Interceptors given here run
// inside the client's own, once per attempt.
func WithDialOptions(options ...grpc.DialOption) Option {
	return func(s *settings) { s.dialOptions = append(s.dialOptions, options...) }
}

// New creates a client for addr (host:port). Like grpc.NewClient it does not connect: the
// first call does.
func New(addr string, options ...Option) (*Client, error) {
	s := settings{
		transport: credentials.NewTLS(nil),
		timeout:   DefaultTimeout,
		retry:     DefaultRetryPolicy,
	}
	for _, option := range options {
		option(&s)
	}
	retry := s.retry.withDefaults()
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(s.transport),
		// Reconnect on the retry schedule: with gRPC's default (1 s, growing to 2 min) the
		// connection could stay down, and every retry fail at once, after the service is back.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay: retry.InitialBackoff, Multiplier: 2, Jitter: 0.2, MaxDelay: retry.MaxBackoff,
			},
			MinConnectTimeout: 20 * time.Second, // gRPC's default, which a zero would replace
		}),
		// Outermost first: one deadline and one set of ids for all the attempts of a call,
		// and the caller sees the last attempt's error decoded.
		grpc.WithChainUnaryInterceptor(
			decodeErrors,
			withDeadline(s.timeout),
			fillIDs,
			withRetry(retry),
		),
	}
	if s.credential != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer(s.credential)))
	}
	conn, err := grpc.NewClient(addr, append(dial, s.dialOptions...)...)
	if err != nil {
		return nil, err
	}
	return &Client{
		Integrations: switchboardv1.NewIntegrationServiceClient(conn),
		Channels:     switchboardv1.NewChannelServiceClient(conn),
		Messaging:    switchboardv1.NewMessagingServiceClient(conn),
		Monitoring:   switchboardv1.NewMonitoringServiceClient(conn),
		Events:       switchboardv1.NewEventServiceClient(conn),
		conn:         conn,
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error {
	return c.conn.Close()
}

// bearer is gRPC's own hook for per-call credentials, so the header is on every call,
// streams included.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false: a local service in plaintext takes a key too.
func (bearer) RequireTransportSecurity() bool { return false }

func withDeadline(timeout time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok && timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// decodeErrors turns a status error into *Error, which keeps the status (GRPCStatus), so
// status.Code and status.FromError work on it as before.
func decodeErrors(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if decoded, ok := AsError(err); ok {
		return decoded
	}
	return err
}
