// Package licensing holds the licensing rules of ../shared/LICENSING_RULES.md as plain Go.
//
// Inputs are facts (plain structs loaded by the models package) and an instant asOf;
// outputs are decisions with reason codes. Nothing here reads the wall clock, touches a
// database, or knows about HTTP or GraphQL, so every rule is table-tested alone and a
// newcomer looks here for "why".
package licensing

import (
	"fmt"
	"strings"
)

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

// Family groups SKUs into product families.
type Family string

const (
	FamilyOffice365    Family = "OFFICE_365"
	FamilyMicrosoft365 Family = "MICROSOFT_365"
	FamilyDynamics365  Family = "DYNAMICS_365"
	FamilyIntune       Family = "INTUNE"
)

var Families = []Family{FamilyOffice365, FamilyMicrosoft365, FamilyDynamics365, FamilyIntune}

func (f Family) Valid() bool { return oneOf(f, Families) }

// SKUKind tells a base product from an add-on that needs one.
type SKUKind string

const (
	KindBase  SKUKind = "BASE"
	KindAddOn SKUKind = "ADD_ON"
)

func (k SKUKind) Valid() bool { return k == KindBase || k == KindAddOn }

// Unit is what one license of a SKU counts.
type Unit string

const (
	UnitSeat     Unit = "SEAT"
	UnitInstance Unit = "INSTANCE"
	UnitGB       Unit = "GB"
)

func (u Unit) Valid() bool { return u == UnitSeat || u == UnitInstance || u == UnitGB }

// SubscriptionStatus is the state of a subscription as of an instant.
type SubscriptionStatus string

const (
	SubscriptionActive        SubscriptionStatus = "ACTIVE"
	SubscriptionInGrace       SubscriptionStatus = "IN_GRACE"
	SubscriptionExpired       SubscriptionStatus = "EXPIRED"
	SubscriptionDeprovisioned SubscriptionStatus = "DEPROVISIONED"
)

// ContactRole is the role a contact holds on an agreement (R-AGR-3).
type ContactRole string

const (
	RoleAgreementAdministrator ContactRole = "AGREEMENT_ADMINISTRATOR"
	RoleVLSCAdministrator      ContactRole = "VLSC_ADMINISTRATOR"
	RoleOnlineAdministrator    ContactRole = "ONLINE_ADMINISTRATOR"
)

var ContactRoles = []ContactRole{RoleAgreementAdministrator, RoleVLSCAdministrator, RoleOnlineAdministrator}

func (r ContactRole) Valid() bool { return oneOf(r, ContactRoles) }

// AdminRole is the role of an administrator of an online-services account.
type AdminRole string

const (
	AdminGlobal  AdminRole = "GLOBAL_ADMIN"
	AdminBilling AdminRole = "BILLING_ADMIN"
)

func (r AdminRole) Valid() bool { return r == AdminGlobal || r == AdminBilling }

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
)

// Problem is one refusal of input, naming the field (a path into the mutation's input).
type Problem struct {
	Field   []string
	Code    Code
	Message string
}

// Problems is a list of refusals; as an error it means "nothing was written".
type Problems []Problem

func (ps Problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s: %s (%s)", strings.Join(p.Field, "."), p.Message, p.Code)
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

// Add appends a problem for the field path.
func (ps *Problems) Add(code Code, message string, field ...string) {
	*ps = append(*ps, Problem{Field: field, Code: code, Message: message})
}

func oneOf[T comparable](v T, all []T) bool {
	for _, a := range all {
		if a == v {
			return true
		}
	}
	return false
}
