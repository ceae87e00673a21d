package server

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Webhook signing secrets and signatures never reach a log, whatever quotes them (issue 13, 4).
func TestRedactWebhookSecretsAndSignatures(t *testing.T) {
	secret := "whsec_" + strings.Repeat("Ab9_-", 9)
	sig := strings.Repeat("0a", 32)
	for in, want := range map[string]string{
		"rotated to " + secret + " today":                        "rotated to whsec_[REDACTED] today",
		"Licensing-Signature: t=1767225600,v1=" + sig + ",v1=ab": "Licensing-Signature: t=1767225600,v1=[REDACTED],v1=[REDACTED]",
		"endpoint 42 answered HTTP 500 for event 7":              "endpoint 42 answered HTTP 500 for event 7",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	var buf bytes.Buffer
	log := slog.New(RedactSecrets(slog.NewJSONHandler(&buf, nil)))
	log.Info("webhook "+secret, "header", "t=1,v1="+sig, "err", strings.NewReader(secret))
	if out := buf.String(); strings.Contains(out, secret[6:]) || strings.Contains(out, sig) {
		t.Fatalf("the log carries a secret or a signature: %s", out)
	}
}
