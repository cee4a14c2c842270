package switchboard

import (
	"fmt"
	"io"
	"net/http"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/switchboard/sdk/go/switchboardv1"
)

// WebhookVerifier checks the webhook deliveries of one subscription: the Standard Webhooks
// signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`, HMAC-SHA256 with the
// subscription's `whsec_` secret) and a timestamp within 5 minutes of now, both by the
// specification's own Go library.
type WebhookVerifier struct {
	webhook *standardwebhooks.Webhook
}

// NewWebhookVerifier takes the signing secret that CreateWebhookSubscription or
// RotateWebhookSecret answered (`whsec_` + base64).
func NewWebhookVerifier(secret string) (*WebhookVerifier, error) {
	webhook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, fmt.Errorf("switchboard: webhook signing secret: %w", err)
	}
	return &WebhookVerifier{webhook: webhook}, nil
}

// Verify checks a delivery's raw body against its headers and returns the event it
// carries (proto JSON). The error wraps the library's (standardwebhooks.ErrNoMatchingSignature,
// ErrMessageTooOld, ...) when the delivery is not genuine: answer it with 400 and ignore it.
// Answer a genuine one with 2xx once it is handled (the event's id is the `webhook-id`:
// a redelivery has the same one).
func (v *WebhookVerifier) Verify(body []byte, headers http.Header) (*switchboardv1.Event, error) {
	if err := v.webhook.Verify(body, headers); err != nil {
		return nil, fmt.Errorf("switchboard: webhook not verified: %w", err)
	}
	event := &switchboardv1.Event{}
	// Unknown fields are skipped: a newer service may add some.
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, event); err != nil {
		return nil, fmt.Errorf("switchboard: webhook body is not an event: %w", err)
	}
	return event, nil
}

// VerifyRequest is Verify on an incoming request, reading its body (at most 1 MiB).
func (v *WebhookVerifier) VerifyRequest(r *http.Request) (*switchboardv1.Event, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("switchboard: webhook body: %w", err)
	}
	return v.Verify(body, r.Header)
}
