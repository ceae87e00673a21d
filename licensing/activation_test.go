package licensing

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Helpers shared by the activation tests.

// instant parses an RFC 3339 instant; tests use UTC literals only.
func instant(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func instantPtr(t *testing.T, s string) *time.Time { v := instant(t, s); return &v }

// wantReason is the comparable part of a reason: code, action and ChangesAt ("" for nil).
type wantReason struct {
	Code      ReasonCode
	Action    NextAction
	ChangesAt string
}

// statusCase is one row of a status table: the facts, the instant, the state and reasons wanted.
type statusCase struct {
	name  string
	f     ActivationFacts
	asOf  string
	state ActivationState
	want  []wantReason
}

// runStatusCases runs each row as a subtest of its name.
func runStatusCases(t *testing.T, cases []statusCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkStatus(t, ActivationStatusAt(c.f, instant(t, c.asOf)), c.state, c.want)
		})
	}
}

func checkStatus(t *testing.T, got ActivationStatus, state ActivationState, want []wantReason) {
	t.Helper()
	var have []wantReason
	for _, r := range got.Reasons {
		c := ""
		if r.ChangesAt != nil {
			c = r.ChangesAt.UTC().Format(time.RFC3339)
		}
		have = append(have, wantReason{r.Code, r.Action, c})
		if strings.TrimSpace(r.Message) == "" {
			t.Errorf("reason %s has no message", r.Code)
		}
	}
	if got.State != state || !reflect.DeepEqual(have, want) {
		t.Errorf("state %s reasons %+v\nwant state %s reasons %+v", got.State, have, state, want)
	}
}

// baseFacts: an ENTERPRISE enrollment whose first order is processed on 10 January
// 2025 09:00 for a usage start of 1 February, no email sent yet.
func baseFacts(t *testing.T) ActivationFacts {
	return ActivationFacts{
		Program:               ProgramEnterprise,
		OrganizationName:      "Contoso",
		OSMEmail:              "alice@contoso.com",
		HasOrderOrReservation: true,
		FirstProcessedAt:      instantPtr(t, "2025-01-10T09:00:00Z"),
		UsageStart:            NewDate(2025, time.February, 1),
		OriginalPurchase:      NewDate(2025, time.January, 10),
		Lines: []ActivationLine{{SKU: "O365_E3", Family: FamilyOffice365, Kind: KindBase,
			PendingUntil: instantPtr(t, "2025-01-10T21:00:00Z")}},
	}
}
