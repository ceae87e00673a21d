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

// The range of dates and instants the API accepts: far around any licensing date, and inside
// what every store keeps (MySQL's DATETIME starts at year 1000).
var (
	earliest = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive
)

func inRange(t time.Time) bool { return !t.Before(earliest) && t.Before(latest) }

// text is the string a scalar's value must be, of at most maxLen bytes: notString and tooLong say
// what the value must be when it is not a string, or a longer one.
func text(v any, maxLen int, notString, tooLong string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", invalid{fmt.Sprintf("%s, not %T", notString, v)}
	}
	if len(s) > maxLen {
		return "", invalid{tooLong}
	}
	return s, nil
}

// MarshalDate writes a licensing.Date as "YYYY-MM-DD".
func MarshalDate(d licensing.Date) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(d.String()))
	})
}

// UnmarshalDate reads "YYYY-MM-DD".
func UnmarshalDate(v any) (licensing.Date, error) {
	s, err := text(v, 10, "a Date is a string YYYY-MM-DD", "a Date is a string YYYY-MM-DD")
	if err != nil {
		return licensing.Date{}, err
	}
	d, err := licensing.ParseDate(s)
	if err != nil {
		return d, invalid{err.Error()}
	}
	if !inRange(d.Start()) {
		return licensing.Date{}, invalid{fmt.Sprintf("%q is out of range: a Date is from 1900-01-01 to 2199-12-31", s)}
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
	s, err := text(v, 64, "a DateTime is an RFC 3339 string", "a DateTime is an RFC 3339 instant such as 2026-11-23T09:30:00Z")
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, invalid{fmt.Sprintf("%q is not an RFC 3339 instant such as 2026-11-23T09:30:00Z", s)}
	}
	if !inRange(t.UTC()) {
		return time.Time{}, invalid{fmt.Sprintf("%q is out of range: a DateTime is from year 1900 to year 2199", s)}
	}
	return t.UTC(), nil
}
