// Package gateway is switchboard's REST sidecar: a grpc-gateway v2 reverse proxy that turns
// the google.api.http rules of proto/switchboard/v1 into JSON routes in front of the gRPC
// API, with what browsers need around it (CORS allow-list, body limit, timeouts), /healthz
// reflecting the upstream's health, Prometheus metrics and the OpenAPI file.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	// The error detail types the service attaches, registered in the global registry so
	// that google.protobuf.Any details marshal to JSON (an unknown type would turn the
	// error into a 500): google.rpc.ErrorInfo, BadRequest, RetryInfo, ... and
	// switchboard.v1.ReconnectDetails (imported by the generated routes as well).
	_ "github.com/switchboard/sdk/go/switchboardv1"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/switchboard/gateway/console"
	gw "github.com/switchboard/gateway/internal/switchboardv1"
	"github.com/switchboard/gateway/openapi"
)

// Headers forwarded to the upstream as gRPC metadata under their own names, besides
// Authorization (which grpc-gateway forwards as `authorization`): W3C trace context.
var forwardedHeaders = map[string]bool{"traceparent": true, "tracestate": true}

// Response metadata of the upstream that is not passed on.
var transportHeaders = map[string]bool{"content-type": true, "date": true}

// CORS: what a listed origin may send.
const (
	corsMethods = "GET, POST, PATCH, DELETE"
	corsHeaders = "Authorization, Content-Type, Traceparent, Tracestate"
	corsMaxAge  = "600"
)

// healthTimeout bounds the upstream health check behind /healthz.
const healthTimeout = 2 * time.Second

// Gateway is the HTTP handler of the REST API and the gRPC connection behind it.
type Gateway struct {
	cfg     Config
	conn    *grpc.ClientConn
	health  healthpb.HealthClient
	api     *runtime.ServeMux
	routes  *http.ServeMux
	admin   *http.ServeMux // nil unless cfg.AdminAddr is set
	origins map[string]bool

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New connects (lazily) to cfg.Upstream and registers every route of the services.
func New(ctx context.Context, cfg Config) (*Gateway, error) {
	conn, err := grpc.NewClient(cfg.Upstream, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("upstream %q: %w", cfg.Upstream, err)
	}
	g := &Gateway{
		cfg:     cfg,
		conn:    conn,
		health:  healthpb.NewHealthClient(conn),
		origins: map[string]bool{},
	}
	for _, o := range cfg.CORSOrigins {
		g.origins[o] = true
	}
	g.api = runtime.NewServeMux(
		runtime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			if k := strings.ToLower(key); forwardedHeaders[k] {
				return k, true
			}
			return runtime.DefaultHeaderMatcher(key)
		}),
		// Every field, defaults included, so that a response has the same shape whatever
		// its values; unset messages are left out rather than written as null (which the
		// OpenAPI schemas do not allow).
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{
			Marshaler: &runtime.JSONPb{
				MarshalOptions:   protojson.MarshalOptions{EmitDefaultValues: true},
				UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
			},
		}),
		// The upstream's response metadata as Grpc-Metadata-* headers, except gRPC's own
		// transport headers (content-type application/grpc, date), which mean nothing here.
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			if transportHeaders[key] {
				return "", false
			}
			return runtime.MetadataHeaderPrefix + key, true
		}),
		runtime.WithErrorHandler(g.errorHandler),
		runtime.WithRoutingErrorHandler(routingError),
		runtime.WithMiddlewares(recordRoute),
	)
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		gw.RegisterIntegrationServiceHandler,
		gw.RegisterChannelServiceHandler,
		gw.RegisterMessagingServiceHandler,
		gw.RegisterMonitoringServiceHandler,
		gw.RegisterEventServiceHandler,
	} {
		if err := register(ctx, g.api, conn); err != nil {
			conn.Close()
			return nil, err
		}
	}

	registry := prometheus.NewRegistry()
	g.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_gateway_http_requests_total",
		Help: "HTTP requests answered by the gateway, by method, route pattern and status code.",
	}, []string{"method", "route", "code"})
	g.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "switchboard_gateway_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method and route pattern.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route"})
	registry.MustRegister(g.requests, g.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	g.routes = http.NewServeMux()
	// The probes and metrics: on the API's port, or on their own one when AdminAddr is set.
	probes := g.routes
	if cfg.AdminAddr != "" {
		g.admin = http.NewServeMux()
		probes = g.admin
	}
	probes.HandleFunc("GET /healthz", g.healthz)
	probes.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	g.routes.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openapi.Spec)
	})
	consoleHandler := console.Handler()
	g.routes.Handle("GET /console", consoleHandler)
	g.routes.Handle("GET /console/", consoleHandler)
	g.routes.Handle("/", g.api)
	return g, nil
}

// Close closes the upstream connection.
func (g *Gateway) Close() error { return g.conn.Close() }

// Server is an http.Server for the gateway with the configured address and timeouts.
func (g *Gateway) Server() *http.Server { return g.server(g.cfg.Addr, g) }

// AdminServer serves /healthz and /metrics on cfg.AdminAddr; nil when that is not set (they
// are then on the API's port).
func (g *Gateway) AdminServer() *http.Server {
	if g.admin == nil {
		return nil
	}
	return g.server(g.cfg.AdminAddr, g.admin)
}

func (g *Gateway) server(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: g.cfg.ReadTimeout,
		ReadTimeout:       g.cfg.ReadTimeout,
		WriteTimeout:      g.cfg.WriteTimeout,
		IdleTimeout:       g.cfg.IdleTimeout,
	}
}

// Run serves cfg.Addr (and cfg.AdminAddr) until ctx ends, then shuts down gracefully: no
// new connections, the requests under way finish (for at most cfg.ShutdownTimeout).
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	g, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	servers := []*http.Server{g.Server()}
	if admin := g.AdminServer(); admin != nil {
		servers = append(servers, admin)
	}
	served := make(chan error, len(servers))
	for i, srv := range servers {
		ln, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			for _, started := range servers[:i] {
				started.Close()
			}
			return err
		}
		go func() { served <- srv.Serve(ln) }()
		what := "the API"
		if i > 0 {
			what = "/healthz and /metrics"
		}
		log.Info("switchboard-gateway listening", "addr", ln.Addr().String(), "serving", what,
			"upstream", cfg.Upstream, "cors_origins", cfg.CORSOrigins)
	}
	var failed error
	select {
	case failed = <-served:
	case <-ctx.Done():
		log.Info("switchboard-gateway shutting down", "grace", cfg.ShutdownTimeout)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// Together: the admin port closes at once, not after the API's requests are done.
	shutdown := make(chan error, len(servers))
	for _, srv := range servers {
		go func() { shutdown <- srv.Shutdown(shutdownCtx) }()
	}
	for range servers {
		if err := <-shutdown; err != nil && failed == nil {
			failed = fmt.Errorf("shutdown: %w", err)
		}
	}
	// served is buffered: the Serve calls still to return (http.ErrServerClosed) do not block.
	return failed
}

// ServeHTTP applies CORS and the body limit, routes the request and records its metrics.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	route := new(string)
	r = r.WithContext(context.WithValue(r.Context(), routeKey{}, route))
	g.serve(rec, r, route)
	if *route == "" {
		if _, pattern := g.routes.Handler(r); pattern != "/" && pattern != "" {
			*route = strings.TrimPrefix(pattern, r.Method+" ")
		} else {
			*route = "unmatched"
		}
	}
	g.requests.WithLabelValues(r.Method, *route, strconv.Itoa(rec.code)).Inc()
	g.duration.WithLabelValues(r.Method, *route).Observe(time.Since(start).Seconds())
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, route *string) {
	origin := r.Header.Get("Origin")
	allowed := origin != "" && g.origins[origin]
	if len(g.origins) > 0 {
		// The answer depends on the origin: caches must not hand one origin's to another.
		w.Header().Add("Vary", "Origin")
	}
	if allowed {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		*route = "cors-preflight"
		if !allowed {
			// No CORS headers: the browser refuses the actual request.
			w.WriteHeader(http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Allow-Headers", corsHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.ContentLength > g.cfg.MaxBodyBytes {
		g.tooLarge(w, r)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &limitedBody{ReadCloser: r.Body, left: g.cfg.MaxBodyBytes}
	}
	g.routes.ServeHTTP(w, r)
}

// errorHandler is grpc-gateway's (google.rpc.Status as JSON with every detail, the HTTP
// status of its code), except for a body cut off at the limit (413) and a proper Bearer
// challenge on a 401 (grpc-gateway would put the error message in WWW-Authenticate).
func (g *Gateway) errorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if b, ok := r.Body.(*limitedBody); ok && b.exceeded {
		err = g.tooLargeError()
	}
	if status.Code(err) == codes.Unauthenticated {
		w = bearerChallenge{w}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// routingError answers a known path with an unknown method 405 (grpc-gateway's default
// makes it 501, a server error it is not); the rest as grpc-gateway does.
func routingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, code int) {
	if code != http.StatusMethodNotAllowed {
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, code)
		return
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{
		HTTPStatus: http.StatusMethodNotAllowed,
		Err:        status.Error(codes.Unimplemented, http.StatusText(code)),
	})
}

// bearerChallenge sets WWW-Authenticate (RFC 6750) as the status line goes out.
type bearerChallenge struct{ http.ResponseWriter }

func (b bearerChallenge) WriteHeader(code int) {
	b.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
	b.ResponseWriter.WriteHeader(code)
}

func (g *Gateway) tooLargeError() error {
	return &runtime.HTTPStatusError{
		HTTPStatus: http.StatusRequestEntityTooLarge,
		Err:        status.Errorf(codes.InvalidArgument, "request body over the gateway's limit of %d bytes", g.cfg.MaxBodyBytes),
	}
}

func (g *Gateway) tooLarge(w http.ResponseWriter, r *http.Request) {
	_, m := runtime.MarshalerForRequest(g.api, r)
	runtime.DefaultHTTPErrorHandler(r.Context(), g.api, m, w, r, g.tooLargeError())
}

// healthz answers 200 when the upstream's grpc.health.v1 Check says SERVING, else 503.
func (g *Gateway) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := g.health.Check(ctx, &healthpb.HealthCheckRequest{})
	switch {
	case err != nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "upstream %s: %s\n", g.cfg.Upstream, status.Convert(err).Message())
	case resp.GetStatus() != healthpb.HealthCheckResponse_SERVING:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "upstream %s: %s\n", g.cfg.Upstream, resp.GetStatus())
	default:
		fmt.Fprintln(w, "ok")
	}
}

type routeKey struct{}

// recordRoute notes the matched route pattern (never the raw path) for the metrics.
func recordRoute(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if route, ok := r.Context().Value(routeKey{}).(*string); ok {
			if p, ok := runtime.HTTPPattern(r.Context()); ok {
				*route = strings.ReplaceAll(p.String(), "=*}", "}")
			}
		}
		next(w, r, params)
	}
}

// limitedBody fails reads past the limit and remembers that it did (for the 413).
type limitedBody struct {
	io.ReadCloser
	left     int64
	exceeded bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := b.ReadCloser.Read(one[:]); n > 0 {
			b.exceeded = true
			return 0, errors.New("request body too large")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(p)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
