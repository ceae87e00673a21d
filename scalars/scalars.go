// Package scalars converts the API's custom scalars to and from Go types for gqlgen.
package scalars

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/licensing-api/licensing-api/licensing"
)

// ErrInvalid marks a scalar the caller wrote wrong: a malformed request, not a server fault.
var ErrInvalid = errors.New("invalid scalar")

type invalid struct{ msg string }

func (e invalid) Error() string   { return e.msg }
func (e invalid) Is(t error) bool { return t == ErrInvalid }

// MarshalDate writes a licensing.Date as "YYYY-MM-DD".
func MarshalDate(d licensing.Date) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(d.String()))
	})
}

// UnmarshalDate reads "YYYY-MM-DD".
func UnmarshalDate(v any) (licensing.Date, error) {
	s, ok := v.(string)
	if !ok {
		return licensing.Date{}, invalid{fmt.Sprintf("a Date is a string YYYY-MM-DD, not %T", v)}
	}
	d, err := licensing.ParseDate(s)
	if err != nil {
		return d, invalid{err.Error()}
	}
	return d, nil
}

// MarshalDateTime writes an instant as RFC 3339 in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads an RFC 3339 instant (any offset) and returns it in UTC.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalid{fmt.Sprintf("a DateTime is an RFC 3339 string, not %T", v)}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, invalid{fmt.Sprintf("%q is not an RFC 3339 instant such as 2026-11-23T09:30:00Z", s)}
	}
	return t.UTC(), nil
}
