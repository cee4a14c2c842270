package switchboard

import (
	"errors"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/switchboard/sdk/go/switchboardv1"
)

// Error is a failed call with the details the service attached (grpc-status-details-bin, a
// google.rpc.Status). Every call of a Client fails with one (find it with AsError or
// errors.As); status.Code(err) works on it too.
//
// The usual handling of a second install of a workspace:
//
//	if e, ok := switchboard.AsError(err); ok && e.Reconnect != nil {
//		integration, err = client.Integrations.ReconnectIntegration(ctx, &switchboardv1.ReconnectIntegrationRequest{IntegrationId: e.Reconnect.GetExistingIntegration().GetId(), ReconnectToken: e.Reconnect.GetReconnectToken()})
//	}
type Error struct {
	Code    codes.Code
	Message string
	// From google.rpc.ErrorInfo: the machine-readable cause (e.g. INTEGRATION_ALREADY_EXISTS),
	// its domain ("switchboard") and context such as ids.
	Reason   string
	Domain   string
	Metadata map[string]string
	// From google.rpc.BadRequest (INVALID_ARGUMENT): which request fields are wrong and why.
	FieldViolations []*errdetails.BadRequest_FieldViolation
	// From google.rpc.RetryInfo: how long to wait before trying again (0 when not given).
	RetryDelay time.Duration
	// On ALREADY_EXISTS from CompleteSlackOAuth: the existing integration and a token for
	// ReconnectIntegration that applies this install's fresh tokens to it.
	Reconnect *switchboardv1.ReconnectDetails

	status *status.Status
}

func (e *Error) Error() string {
	if e.Reason != "" {
		return e.Code.String() + " (" + e.Reason + "): " + e.Message
	}
	return e.Code.String() + ": " + e.Message
}

// GRPCStatus returns the status the error was decoded from.
func (e *Error) GRPCStatus() *status.Status {
	return e.status
}

// AsError finds the *Error in err's chain, or decodes one from a gRPC status error (of a
// stub not made by this package, say). It answers false for nil and for errors that carry
// no gRPC status.
func AsError(err error) (*Error, bool) {
	var decoded *Error
	if errors.As(err, &decoded) {
		return decoded, true
	}
	st, ok := status.FromError(err)
	if !ok || err == nil {
		return nil, false
	}
	decoded = &Error{Code: st.Code(), Message: st.Message(), status: st}
	// Details of types this binary does not know come back as errors: skip them.
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			decoded.Reason, decoded.Domain, decoded.Metadata = d.GetReason(), d.GetDomain(), d.GetMetadata()
		case *errdetails.BadRequest:
			decoded.FieldViolations = d.GetFieldViolations()
		case *errdetails.RetryInfo:
			decoded.RetryDelay = d.GetRetryDelay().AsDuration()
		case *switchboardv1.ReconnectDetails:
			decoded.Reconnect = d
		}
	}
	return decoded, true
}
