package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	// HeaderSignature carries t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=...]: one v1 per
	// signing secret (two during a secret rotation's overlap), in the manner of Stripe.
	HeaderSignature = "Licensing-Signature"
	// HeaderEventID is the event's ID, the same on every attempt and replay: de-duplicate on it.
	HeaderEventID = "Licensing-Event-Id"
	// HeaderEventTopic is the event's topic, for example order.created.
	HeaderEventTopic = "Licensing-Event-Topic"
	// HeaderAttempt is the attempt's number, 1 for the first.
	HeaderAttempt = "Licensing-Delivery-Attempt"
)

// Sign makes the signature header of body sent at t: for each secret, v1 is the hex
// HMAC-SHA256, keyed with the whole secret string, of "<t as unix seconds>.<body>".
func Sign(secrets []string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	parts := []string{"t=" + ts}
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts))
		mac.Write([]byte("."))
		mac.Write(body)
		parts = append(parts, "v1="+hex.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(parts, ",")
}
