package licensing

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Accounts: online-services accounts (tenants) with their verified domains, administrators and
// users, as drafts to validate.

// AdminRole is the role of an administrator of an online-services account.
type AdminRole string

const (
	AdminGlobal  AdminRole = "GLOBAL_ADMIN"
	AdminBilling AdminRole = "BILLING_ADMIN"
)

func (r AdminRole) Valid() bool { return r == AdminGlobal || r == AdminBilling }

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
		at := []string{"domains", strconv.Itoa(i)}
		if !validDomain(dom) {
			ps.Add(CodeInvalid, fmt.Sprintf("%q is not a domain name", dom), at...)
		} else if seen[strings.ToLower(dom)] {
			ps.Add(CodeInvalid, fmt.Sprintf("domain %q appears twice", dom), at...)
		}
		seen[strings.ToLower(dom)] = true
	}
	for i, a := range d.Admins {
		at := []string{"admins", strconv.Itoa(i)}
		checkText(&ps, a.Name, 200, append(at, "name")...)
		checkEmail(&ps, a.Email, append(at, "email")...)
		if !a.Role.Valid() {
			ps.Add(CodeUnknownValue, fmt.Sprintf("unknown administrator role %q", a.Role), append(at, "role")...)
		}
	}
	ps = append(ps, ValidateUsers(d.Users)...)
	return ps
}

// ValidateUsers checks new users of an account.
func ValidateUsers(users []UserDraft) Problems {
	var ps Problems
	seen := map[string]bool{}
	for i, u := range users {
		at := []string{"users", strconv.Itoa(i)}
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

// emailDomain is the domain of an email address as verified domains are compared with it
// (R-ACT-2): after the last "@", normalized by normalizeDomain; "" when there is no "@".
func emailDomain(email string) string {
	_, domain, ok := splitEmail(email)
	if !ok {
		return ""
	}
	return normalizeDomain(domain)
}

// splitEmail cuts an email address at its last "@".
func splitEmail(email string) (local, domain string, ok bool) {
	i := strings.LastIndex(email, "@")
	if i < 0 {
		return "", "", false
	}
	return email[:i], email[i+1:], true
}

// normalizeDomain is the one spelling of a domain name: lower case, without surrounding spaces
// or a final dot.
func normalizeDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// ValidCountry tells an assigned ISO 3166-1 alpha-2 code (upper case).
func ValidCountry(c string) bool {
	return len(c) == 2 && strings.Contains(isoCountries, " "+c+" ")
}

const isoCountries = " AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "
