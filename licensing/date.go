package licensing

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Date is a calendar day (UTC), as agreements, enrollments and orders use them.
// The zero Date means "not set".
type Date struct{ t time.Time }

const dateLayout = "2006-01-02"

// NewDate returns the day y-m-d.
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// DateOf returns the UTC day of the instant t.
func DateOf(t time.Time) Date {
	u := t.UTC()
	return NewDate(u.Year(), u.Month(), u.Day())
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date of the form YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

func (d Date) IsZero() bool { return d.t.IsZero() }

// Start is the first instant of the day.
func (d Date) Start() time.Time { return d.t }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(dateLayout)
}

func (d Date) Before(o Date) bool          { return d.t.Before(o.t) }
func (d Date) After(o Date) bool           { return d.t.After(o.t) }
func (d Date) Equal(o Date) bool           { return d.t.Equal(o.t) }
func (d Date) AddDays(n int) Date          { return Date{d.t.AddDate(0, 0, n)} }
func (d Date) AddMonths(n int) Date        { return Date{d.t.AddDate(0, n, 0)} }
func (d Date) AddYears(n int) Date         { return Date{d.t.AddDate(n, 0, 0)} }
func (d Date) Compare(o Date) int          { return d.t.Compare(o.t) }
func (d Date) OnOrBefore(t time.Time) bool { return !d.t.After(t) }

// Value stores a Date as YYYY-MM-DD text, which both MySQL DATE columns and SQLite accept
// and which compares correctly as text.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a DATE column as MySQL (time or text) or SQLite (text) returns it.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case time.Time:
		*d = DateOf(v)
		return nil
	case []byte:
		return d.scanText(string(v))
	case string:
		return d.scanText(v)
	}
	return fmt.Errorf("cannot scan %T into a Date", src)
}

func (d *Date) scanText(s string) error {
	if len(s) >= 10 {
		s = s[:10]
	}
	p, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}
