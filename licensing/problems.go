package licensing

import (
	"fmt"
	"strings"
)

// Problems: a refusal of input with a code and the input it concerns, returned by every rule
// that can refuse.

// Code is a machine-readable reason: why input was refused or why a state holds.
// Codes are part of the public API (the UserErrorCode enum); never rename one.
type Code string

const (
	CodeRequired     Code = "REQUIRED"      // a required field is empty
	CodeInvalid      Code = "INVALID"       // a field is malformed (email, country, date order...)
	CodeTooLong      Code = "TOO_LONG"      // a field is longer than the store keeps
	CodeTaken        Code = "TAKEN"         // a unique number is already used (R-AGR-2)
	CodeNotFound     Code = "NOT_FOUND"     // a referenced object does not exist for this caller
	CodeUnknownSKU   Code = "UNKNOWN_SKU"   // a SKU code is not in the catalog
	CodeUnknownValue Code = "UNKNOWN_VALUE" // an enumerated value is not known
	CodeNumberFormat Code = "NUMBER_FORMAT" // a number breaks its program's format (R-AGR-1)
	// CodeInvalidQuantity: a quantity or total is not in 1..MaxOrderQuantity.
	CodeInvalidQuantity Code = "INVALID_QUANTITY"
)

// MaxOrderQuantity bounds any one quantity or total: far above any real order, it catches
// typos and keeps sums far from integer overflow.
const MaxOrderQuantity = 1_000_000

// Problem is one refusal of input: a code, a message for a person, and the input it concerns.
//
// Input is a path in the domain's words, not in any API's: the part of the request ("enrollment",
// "account", "subscription", "users", "total", "lines"), then for a list the position and the
// part inside it ("lines", "2", "sku"; "contacts", "0", "roles", "1"). Where the API names a part
// alike ("sku", "quantity", "purchaseDate"), the word is the same; the API maps the others to its
// own field names (resolvers/inputs.go), one map per input type.
type Problem struct {
	Input   []string
	Code    Code
	Message string
}

// Problems is a list of refusals; as an error it means "nothing was written".
type Problems []Problem

func (ps Problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s: %s (%s)", strings.Join(p.Input, "."), p.Message, p.Code)
	}
	return strings.Join(parts, "; ")
}

// Err returns ps as an error, or nil when there is no problem.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Add appends a problem about the input path.
func (ps *Problems) Add(code Code, message string, input ...string) {
	*ps = append(*ps, Problem{Input: input, Code: code, Message: message})
}

func refusal(code Code, msg string, input ...string) *Problem {
	return &Problem{Input: input, Code: code, Message: msg}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneOf[T comparable](v T, all []T) bool {
	for _, a := range all {
		if a == v {
			return true
		}
	}
	return false
}
