package switchboard_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	switchboard "github.com/switchboard/sdk/go"
)

const webhookBody = `{"id":"evt_1","teamId":"team-1","type":"delivery.sent","cursor":"c1","deliverySent":{"deliveryId":"d1","internalMessageId":"m1","slackTs":"1700000000.000100"}}`

func newSecret(t *testing.T) string {
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// signed is a delivery as the Standard Webhooks library's own signer makes it.
func signed(t *testing.T, secret, body string, at time.Time) http.Header {
	t.Helper()
	signer, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	signature, err := signer.Sign("evt_1", at, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	headers := http.Header{}
	headers.Set("webhook-id", "evt_1")
	headers.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	headers.Set("webhook-signature", signature)
	return headers
}

func TestWebhookVerifierAcceptsASignedDelivery(t *testing.T) {
	secret := newSecret(t)
	verifier, err := switchboard.NewWebhookVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}

	event, err := verifier.Verify([]byte(webhookBody), signed(t, secret, webhookBody, time.Now()))

	if err != nil {
		t.Fatal(err)
	}
	if event.GetId() != "evt_1" || event.GetType() != "delivery.sent" || event.GetDeliverySent().GetSlackTs() != "1700000000.000100" {
		t.Fatalf("want the delivery.sent event parsed, got %v", event)
	}
}

func TestWebhookVerifierRejectsForgeries(t *testing.T) {
	secret := newSecret(t)
	verifier, err := switchboard.NewWebhookVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		body    string
		headers http.Header
		want    error
	}{
		{"tampered body", `{"id":"evt_1","type":"integration.deleted"}`, signed(t, secret, webhookBody, time.Now()), standardwebhooks.ErrNoMatchingSignature},
		{"wrong secret", webhookBody, signed(t, newSecret(t), webhookBody, time.Now()), standardwebhooks.ErrNoMatchingSignature},
		{"stale timestamp", webhookBody, signed(t, secret, webhookBody, time.Now().Add(-6*time.Minute)), standardwebhooks.ErrMessageTooOld},
		{"no signature", webhookBody, http.Header{}, standardwebhooks.ErrRequiredHeaders},
	} {
		t.Run(c.name, func(t *testing.T) {
			event, err := verifier.Verify([]byte(c.body), c.headers)

			if !errors.Is(err, c.want) || event != nil {
				t.Fatalf("want %v, got %v (event %v)", c.want, err, event)
			}
		})
	}
}

func TestWebhookVerifierRefusesAMalformedSecret(t *testing.T) {
	if _, err := switchboard.NewWebhookVerifier("whsec_not base64!"); err == nil {
		t.Fatal("want an error for a secret that is not base64")
	}
}
