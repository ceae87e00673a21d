package licensing

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Agreements (R-AGR): resellers, customers, agreements with their contacts, and enrollments
// as drafts to validate, and the volume discount.

// Program is the volume-licensing program of an agreement.
type Program string

const (
	ProgramEnterprise             Program = "ENTERPRISE"
	ProgramEnterpriseSubscription Program = "ENTERPRISE_SUBSCRIPTION"
	ProgramCampusAndSchool        Program = "CAMPUS_AND_SCHOOL"
	ProgramOpenValue              Program = "OPEN_VALUE"
	ProgramMPSA                   Program = "MPSA"
	ProgramMOSP                   Program = "MOSP" // direct online purchase by card or invoice
)

// Programs lists every program, in the order the API documents them.
var Programs = []Program{ProgramEnterprise, ProgramEnterpriseSubscription, ProgramCampusAndSchool, ProgramOpenValue, ProgramMPSA, ProgramMOSP}

func (p Program) Valid() bool { return oneOf(p, Programs) }

// ContactRole is the role a contact holds on an agreement (R-AGR-3).
type ContactRole string

const (
	RoleAgreementAdministrator ContactRole = "AGREEMENT_ADMINISTRATOR"
	RoleVLSCAdministrator      ContactRole = "VLSC_ADMINISTRATOR"
	RoleOnlineAdministrator    ContactRole = "ONLINE_ADMINISTRATOR"
)

var ContactRoles = []ContactRole{RoleAgreementAdministrator, RoleVLSCAdministrator, RoleOnlineAdministrator}

func (r ContactRole) Valid() bool { return oneOf(r, ContactRoles) }

// EnrollmentStatus is the lifecycle state of an enrollment.
type EnrollmentStatus string

const (
	EnrollmentActive   EnrollmentStatus = "ACTIVE"
	EnrollmentExpired  EnrollmentStatus = "EXPIRED"
	EnrollmentRenewed  EnrollmentStatus = "RENEWED"
	EnrollmentInactive EnrollmentStatus = "INACTIVE"
)

var EnrollmentStatuses = []EnrollmentStatus{EnrollmentActive, EnrollmentExpired, EnrollmentRenewed, EnrollmentInactive}

func (s EnrollmentStatus) Valid() bool { return oneOf(s, EnrollmentStatuses) }

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

func (l Language) Valid() bool { return oneOf(l, Languages) }

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
	if checkText(&ps, d.Number, 64, "number") && !AgreementNumberFits(p, d.Number) {
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
	return append(ps, ValidateContacts(d.Contacts)...)
}

// R-AGR-1: AgreementNumberFits tells whether an agreement number fits its program: an
// OPEN_VALUE number starts with V (compared as NormalizeNumber spells it).
func AgreementNumberFits(p Program, number string) bool {
	return p != ProgramOpenValue || strings.HasPrefix(NormalizeNumber(number), "V")
}

// R-AGR-2: NumberTaken is the refusal of an agreement or enrollment number (what) that is already
// used. The store's unique index on the number, spelled by NormalizeNumber, finds the second one,
// also between concurrent creates; this is what the caller reads then.
func NumberTaken(what, number string) Problem {
	return Problem{Input: []string{"number"}, Code: CodeTaken, Message: fmt.Sprintf("%s number %q is already used", what, number)}
}

// R-AGR-3: ValidateContacts checks an agreement's contacts: each has a name, an email address
// no other contact has, and one or more of the roles AGREEMENT_ADMINISTRATOR,
// VLSC_ADMINISTRATOR and ONLINE_ADMINISTRATOR (the OSM is set per enrollment instead).
func ValidateContacts(contacts []ContactDraft) Problems {
	var ps Problems
	seen := map[string]bool{}
	for i, c := range contacts {
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

// VolumeDiscountSeats is the seat count from which an ENTERPRISE agreement is eligible for the
// volume discount (R-AGR-4).
const VolumeDiscountSeats = 250

// R-AGR-4: VolumeDiscountEligible tells an ENTERPRISE agreement with 250 or more active seats in
// total. It is information for the reseller; smaller agreements are never refused.
func VolumeDiscountEligible(p Program, activeSeats int) bool {
	return p == ProgramEnterprise && activeSeats >= VolumeDiscountSeats
}
