package licensing

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Drafts are what a caller asks to create, before it is stored. Validate returns every problem
// at once, each naming its field, so one round trip fixes all of them.

// NormalizeNumber is the one spelling of an agreement, enrollment or order number: trimmed and
// upper case, so "ea-1 " and "EA-1" are the same number on every engine (R-AGR-2).
func NormalizeNumber(n string) string { return strings.ToUpper(strings.TrimSpace(n)) }

// ResellerDraft is a new reseller.
type ResellerDraft struct{ Name string }

func (d ResellerDraft) Validate() Problems {
	var ps Problems
	checkText(&ps, d.Name, 200, "name")
	return ps
}

// Language is the language a customer's emails are written in: an ISO 639-1 code.
type Language string

const (
	LanguageEnglish Language = "en"
	LanguageSwedish Language = "sv"
	LanguageGerman  Language = "de"
	LanguageDanish  Language = "da"
)

// Languages lists every language emails are written in; English is the default.
var Languages = []Language{LanguageEnglish, LanguageSwedish, LanguageGerman, LanguageDanish}

func (l Language) Valid() bool {
	for _, v := range Languages {
		if l == v {
			return true
		}
	}
	return false
}

// CustomerDraft is a new customer of a reseller.
type CustomerDraft struct {
	OrganizationName string
	Country          string
	Language         *string // nil: English
}

func (d CustomerDraft) Validate() Problems {
	var ps Problems
	checkText(&ps, d.OrganizationName, 200, "organizationName")
	checkCountry(&ps, d.Country, "country")
	if d.Language != nil && !Language(*d.Language).Valid() {
		ps.Add(CodeUnknownValue, fmt.Sprintf("unknown language %q; use one of %v", *d.Language, Languages), "language")
	}
	return ps
}

// CustomerLanguage is the draft's language, English when none was given.
func (d CustomerDraft) CustomerLanguage() Language {
	if d.Language == nil {
		return LanguageEnglish
	}
	return Language(*d.Language)
}

// ContactDraft is a contact on an agreement with its roles (R-AGR-3).
type ContactDraft struct {
	Name  string
	Email string
	Roles []ContactRole
}

// AgreementDraft is a new agreement.
type AgreementDraft struct {
	Program         string
	Number          string
	StartDate       Date
	AnniversaryDate Date
	Contacts        []ContactDraft
}

func (d AgreementDraft) Validate() Problems {
	var ps Problems
	p := Program(d.Program)
	if !p.Valid() {
		ps.Add(CodeUnknownValue, fmt.Sprintf("unknown program %q; use one of %v", d.Program, Programs), "program")
	}
	if checkText(&ps, d.Number, 64, "number") && p == ProgramOpenValue && !strings.HasPrefix(NormalizeNumber(d.Number), "V") {
		// R-AGR-1
		ps.Add(CodeNumberFormat, "an OPEN_VALUE agreement number starts with V", "number")
	}
	if d.StartDate.IsZero() {
		ps.Add(CodeRequired, "startDate is required", "startDate")
	}
	if d.AnniversaryDate.IsZero() {
		ps.Add(CodeRequired, "anniversaryDate is required", "anniversaryDate")
	} else if !d.StartDate.IsZero() && d.AnniversaryDate.Before(d.StartDate) {
		ps.Add(CodeInvalid, "anniversaryDate is before startDate", "anniversaryDate")
	}
	seen := map[string]bool{}
	for i, c := range d.Contacts {
		at := []string{"contacts", strconv.Itoa(i)}
		checkText(&ps, c.Name, 200, append(at, "name")...)
		if checkEmail(&ps, c.Email, append(at, "email")...) {
			key := strings.ToLower(c.Email)
			if seen[key] {
				ps.Add(CodeInvalid, "a contact appears twice; give one contact all its roles", append(at, "email")...)
			}
			seen[key] = true
		}
		if len(c.Roles) == 0 {
			ps.Add(CodeRequired, "a contact needs at least one role", append(at, "roles")...)
		}
		for j, r := range c.Roles {
			if !r.Valid() {
				ps.Add(CodeUnknownValue, fmt.Sprintf("unknown role %q", r), append(at, "roles", strconv.Itoa(j))...)
			}
		}
	}
	return ps
}

// EnrollmentDraft is a new enrollment under an agreement. The OSM may be empty (R-ACT-6 then
// explains why no activation email can be sent).
type EnrollmentDraft struct {
	Number           string
	OrganizationName string
	OSMName          string
	OSMEmail         string
	StartDate        Date
	EndDate          Date
}

func (d EnrollmentDraft) Validate() Problems {
	var ps Problems
	checkText(&ps, d.Number, 64, "number")
	checkText(&ps, d.OrganizationName, 200, "organizationName")
	if utf8.RuneCountInString(d.OSMName) > 200 {
		ps.Add(CodeTooLong, "osmName is longer than 200 characters", "osmName")
	}
	if strings.TrimSpace(d.OSMEmail) != "" {
		checkEmail(&ps, d.OSMEmail, "osmEmail")
	}
	if d.StartDate.IsZero() {
		ps.Add(CodeRequired, "startDate is required", "startDate")
	}
	if d.EndDate.IsZero() {
		ps.Add(CodeRequired, "endDate is required", "endDate")
	} else if !d.StartDate.IsZero() && !d.EndDate.After(d.StartDate) {
		ps.Add(CodeInvalid, "endDate must be after startDate", "endDate")
	}
	return ps
}

// ValidateSubscriptionContact checks a new OSM for an enrollment: an email is required (it is
// what R-ACT-6 lacks), the name may be empty.
func ValidateSubscriptionContact(name, email string) Problems {
	var ps Problems
	if utf8.RuneCountInString(name) > 200 {
		ps.Add(CodeTooLong, "osmName is longer than 200 characters", "osmName")
	}
	checkEmail(&ps, email, "osmEmail")
	return ps
}

// AdminDraft is an administrator of an account.
type AdminDraft struct {
	Name  string
	Email string
	Role  AdminRole
}

// UserDraft is a user of an account, who may be assigned licenses.
type UserDraft struct {
	UserName    string // the sign-in name, an email address
	DisplayName string
}

// AccountDraft is a new online-services account (tenant).
type AccountDraft struct {
	Name    string
	Country string
	Domains []string
	Admins  []AdminDraft
	Users   []UserDraft
}

func (d AccountDraft) Validate() Problems {
	var ps Problems
	checkText(&ps, d.Name, 200, "name")
	checkCountry(&ps, d.Country, "country")
	seen := map[string]bool{}
	for i, dom := range d.Domains {
		at := []string{"verifiedDomains", strconv.Itoa(i)}
		if !validDomain(dom) {
			ps.Add(CodeInvalid, fmt.Sprintf("%q is not a domain name", dom), at...)
		} else if seen[strings.ToLower(dom)] {
			ps.Add(CodeInvalid, fmt.Sprintf("domain %q appears twice", dom), at...)
		}
		seen[strings.ToLower(dom)] = true
	}
	for i, a := range d.Admins {
		at := []string{"administrators", strconv.Itoa(i)}
		checkText(&ps, a.Name, 200, append(at, "name")...)
		checkEmail(&ps, a.Email, append(at, "email")...)
		if !a.Role.Valid() {
			ps.Add(CodeUnknownValue, fmt.Sprintf("unknown administrator role %q", a.Role), append(at, "role")...)
		}
	}
	ps = append(ps, ValidateUsers(d.Users, "users")...)
	return ps
}

// ValidateUsers checks new users of an account; field is the input list's name.
func ValidateUsers(users []UserDraft, field string) Problems {
	var ps Problems
	seen := map[string]bool{}
	for i, u := range users {
		at := []string{field, strconv.Itoa(i)}
		if checkEmail(&ps, u.UserName, append(at, "userName")...) {
			if seen[strings.ToLower(u.UserName)] {
				ps.Add(CodeInvalid, fmt.Sprintf("user %q appears twice", u.UserName), append(at, "userName")...)
			}
			seen[strings.ToLower(u.UserName)] = true
		}
		if utf8.RuneCountInString(u.DisplayName) > 200 {
			ps.Add(CodeTooLong, "displayName is longer than 200 characters", append(at, "displayName")...)
		}
	}
	return ps
}

// EmailDomain returns the lower-case domain of an email address ("" when there is none).
func EmailDomain(email string) string {
	_, dom, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	return strings.ToLower(dom)
}

func checkText(ps *Problems, v string, max int, field ...string) bool {
	name := field[len(field)-1]
	if strings.TrimSpace(v) == "" {
		ps.Add(CodeRequired, name+" must not be empty", field...)
		return false
	}
	if utf8.RuneCountInString(v) > max {
		ps.Add(CodeTooLong, fmt.Sprintf("%s is longer than %d characters", name, max), field...)
		return false
	}
	return true
}

func checkEmail(ps *Problems, v string, field ...string) bool {
	name := field[len(field)-1]
	if strings.TrimSpace(v) == "" {
		ps.Add(CodeRequired, name+" must not be empty", field...)
		return false
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 || !validDomain(EmailDomain(v)) {
		ps.Add(CodeInvalid, fmt.Sprintf("%q is not an email address", v), field...)
		return false
	}
	return true
}

func checkCountry(ps *Problems, v string, field ...string) {
	if !ValidCountry(v) {
		ps.Add(CodeInvalid, fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 country code (for example US, DE)", v), field...)
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

// ValidCountry tells an assigned ISO 3166-1 alpha-2 code (upper case).
func ValidCountry(c string) bool {
	return len(c) == 2 && strings.Contains(isoCountries, " "+c+" ")
}

const isoCountries = " AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "

// VolumeDiscountSeats is the seat count from which an ENTERPRISE agreement is eligible for the
// volume discount (R-AGR-4).
const VolumeDiscountSeats = 250

// VolumeDiscountEligible reports R-AGR-4: an ENTERPRISE agreement with 250 or more active seats
// in total. It is information for the reseller; smaller agreements are never refused.
func VolumeDiscountEligible(p Program, activeSeats int) bool {
	return p == ProgramEnterprise && activeSeats >= VolumeDiscountSeats
}
