package licensing

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Checks shared by the drafts: required text, email addresses, countries and domain names.

func checkText(ps *Problems, v string, max int, input ...string) bool {
	name := input[len(input)-1]
	if strings.TrimSpace(v) == "" {
		ps.Add(CodeRequired, name+" must not be empty", input...)
		return false
	}
	if utf8.RuneCountInString(v) > max {
		ps.Add(CodeTooLong, fmt.Sprintf("%s is longer than %d characters", name, max), input...)
		return false
	}
	return true
}

func checkEmail(ps *Problems, v string, input ...string) bool {
	name := input[len(input)-1]
	if strings.TrimSpace(v) == "" {
		ps.Add(CodeRequired, name+" must not be empty", input...)
		return false
	}
	// The domain as written: one "@" only, and no spaces or final dot (emailDomain would drop them).
	local, domain, _ := splitEmail(v)
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 || strings.Contains(local, "@") || !validDomain(domain) {
		ps.Add(CodeInvalid, fmt.Sprintf("%q is not an email address", v), input...)
		return false
	}
	return true
}

func checkCountry(ps *Problems, v string, input ...string) {
	if !ValidCountry(v) {
		ps.Add(CodeInvalid, fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 country code (for example US, DE)", v), input...)
	}
}

func validDomain(d string) bool {
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// checkQuantity refuses a quantity outside 1..MaxOrderQuantity.
func checkQuantity(ps *Problems, q int, input ...string) {
	if q < 1 || q > MaxOrderQuantity {
		ps.Add(CodeInvalidQuantity, fmt.Sprintf("quantity %d must be between 1 and %d", q, MaxOrderQuantity), input...)
	}
}
