package server

import (
	"context"
	"log/slog"
	"regexp"
)

// secretPatterns match what must never reach a log: API keys (lk_<id>_<secret>), bearer
// credentials, activation tokens (64 hex digits, alone or as token= in a link), Open Value
// product keys (five groups of five), webhook signing secrets (whsec_...) and the signatures of
// a Licensing-Signature header (v1=<hex>). Code avoids logging them in the first place; this
// is the net under it, for an error message that quotes a value or a URL.
var secretPatterns = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\blk_([0-9]+)_[0-9A-Za-z]+`), "lk_${1}_[REDACTED]"},
	{regexp.MustCompile(`(?i)\b(bearer|basic)\s+[^\s"',;]+`), "${1} [REDACTED]"},
	{regexp.MustCompile(`(?i)\btoken=[^\s"'&]+`), "token=[REDACTED]"},
	{regexp.MustCompile(`\b[0-9a-f]{64}\b`), "[REDACTED]"},
	{regexp.MustCompile(`\b[B-Y2-9]{5}(-[B-Y2-9]{5}){4}\b`), "[REDACTED]"},
	{regexp.MustCompile(`\bwhsec_[0-9A-Za-z_-]+`), "whsec_[REDACTED]"},
	{regexp.MustCompile(`\bv1=[0-9A-Fa-f]+`), "v1=[REDACTED]"},
}

// Redact removes secrets from a string.
func Redact(s string) string {
	for _, p := range secretPatterns {
		if p.re.MatchString(s) {
			s = p.re.ReplaceAllString(s, p.with)
		}
	}
	return s
}

// RedactSecrets wraps a log handler so that no message or attribute carries a secret.
func RedactSecrets(h slog.Handler) slog.Handler { return redactor{h} }

type redactor struct{ next slog.Handler }

func (r redactor) Enabled(ctx context.Context, l slog.Level) bool { return r.next.Enabled(ctx, l) }

func (r redactor) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.next.Handle(ctx, out)
}

func (r redactor) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redactAttr(a)
	}
	return redactor{r.next.WithAttrs(clean)}
}

func (r redactor) WithGroup(name string) slog.Handler { return redactor{r.next.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = redactAttr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, Redact(err.Error()))
		}
		return slog.String(a.Key, Redact(v.String()))
	}
	return a
}
