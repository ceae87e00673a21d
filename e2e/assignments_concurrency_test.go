package e2e

// Concurrency of license assignments through a real HTTP server (httptest.NewServer): many
// clients at once, on MariaDB when TEST_MYSQL_DSN is set (testenv.MySQLOnly; on SQLite, where
// writers are serialized, otherwise). R-LIC-1: "also under concurrent assignment".

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/concurrent"
)

// intuneWorld is a provisioned account on fabrikam.com with n users and a direct INTUNE
// subscription of quantity licenses (sub, its id).
func intuneWorld(t *testing.T, s *models.Store, n, quantity int) (e *env, w world, users []string, sub string) {
	e = newEnv(t, s)
	w = e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
	users = userNames("user", n)
	e.addUsers(w.Key, w.AccountID, users...)
	return e, w, users, e.directID(w.Key, w.AccountID, "INTUNE", quantity, "2027-11-22", true)
}

func userNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d@fabrikam.com", prefix, i)
	}
	return out
}

func TestLicenseAssignmentsConcurrency(t *testing.T) {
	t.Run("R-LIC-1_concurrent_assignments_never_exceed_licensed_quantity", func(t *testing.T) {
		testenv.MySQLOnly(t, func(t *testing.T, s *models.Store) {
			e, w, users, _ := intuneWorld(t, s, 200, 100)
			c := newLiveClient(t, e)

			outcomes := concurrent.AllAtOnce(len(users), func(i int) liveOutcome {
				return c.post(w.Key, assignDoc, map[string]any{"a": w.AccountID, "s": "INTUNE", "u": []string{users[i]}})
			})
			var granted []string
			seenAssigned := map[int]string{}
			refused := 0
			var problems []string
			for i, o := range outcomes {
				switch {
				case o.err != nil:
					problems = append(problems, fmt.Sprintf("%s: %v", users[i], o.err))
				case len(o.ue) == 0:
					changed := strs(o.payload["changedUsers"])
					lic := licenseRowOf(o.payload["license"])
					if len(changed) != 1 || changed[0] != users[i] || lic.Licensed != 100 || lic.Assigned < 1 || lic.Assigned > 100 || lic.Available != 100-lic.Assigned {
						problems = append(problems, fmt.Sprintf("%s: accepted with changedUsers %v, license %+v", users[i], changed, lic))
					}
					// Serialized assignments see 1, 2, ... 100 assigned after their own insert.
					if prev, dup := seenAssigned[lic.Assigned]; dup {
						problems = append(problems, fmt.Sprintf("%s and %s both saw %d assigned after their insert", prev, users[i], lic.Assigned))
					}
					seenAssigned[lic.Assigned] = users[i]
					granted = append(granted, users[i])
				case len(o.ue) == 1 && o.ue[0].Code == "NOT_ENOUGH_LICENSES":
					if !strings.Contains(o.ue[0].Message, "1 more license ") {
						problems = append(problems, fmt.Sprintf("%s: refusal must name 1 missing: %q", users[i], o.ue[0].Message))
					}
					if o.payload["license"] != nil {
						problems = append(problems, fmt.Sprintf("%s: refused with a license %v", users[i], o.payload["license"]))
					}
					refused++
				default:
					problems = append(problems, fmt.Sprintf("%s: unexpected userErrors %+v", users[i], o.ue))
				}
			}
			if len(problems) > 0 {
				sort.Strings(problems)
				t.Fatalf("%d unexpected outcomes:\n%s", len(problems), strings.Join(problems, "\n"))
			}
			if len(granted) != 100 || refused != 100 {
				t.Fatalf("want exactly 100 assigned and 100 refused NOT_ENOUGH_LICENSES, got %d and %d", len(granted), refused)
			}

			wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 100, Assigned: 100, Available: 0})
			if cs := e.conflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
				t.Fatalf("concurrent assignment made a conflict: %+v", cs)
			}
			// The holders are exactly the accepted users, and the summary's counter agrees.
			p := e.assign(w.Key, w.AccountID, "INTUNE", granted...)
			if ch := strs(p["changedUsers"]); len(ch) != 0 {
				t.Fatalf("accepted users who do not hold the license: %v", ch)
			}
			if sum := e.summary(w.Key, []string{"SKU"}, nil, time.Time{}); sum["INTUNE"] != (summaryRow{Licensed: 100, Assigned: 100, Available: 0}) {
				t.Fatalf("summary after concurrent assignment: %s", formatRows(sum))
			}
			if _, total := e.accountsWithConflicts(w.Key, time.Time{}); total != 0 {
				t.Fatalf("accountsWithConflicts after concurrent assignment: %d", total)
			}
		})
	})

	t.Run("R-LIC-1_concurrent_assignments_of_shared_users_count_them_once", func(t *testing.T) {
		testenv.MySQLOnly(t, func(t *testing.T, s *models.Store) {
			e, w, users, _ := intuneWorld(t, s, 40, 10)
			c := newLiveClient(t, e)
			// Every call names alice and bob and one user of its own: alice and bob take two
			// licenses once, so the first call takes 3 and 7 more calls take 1 each: 8 accepted.
			outcomes := concurrent.AllAtOnce(len(users), func(i int) liveOutcome {
				return c.post(w.Key, assignDoc, map[string]any{"a": w.AccountID, "s": "INTUNE",
					"u": []string{"alice@fabrikam.com", "bob@fabrikam.com", users[i]}})
			})
			ok, refused := 0, 0
			for i, o := range outcomes {
				switch {
				case o.err != nil:
					t.Fatalf("call %d: %v", i, o.err)
				case len(o.ue) == 0:
					ok++
				case len(o.ue) == 1 && o.ue[0].Code == "NOT_ENOUGH_LICENSES":
					refused++
				default:
					t.Fatalf("call %d: %+v", i, o.ue)
				}
			}
			if ok != 8 || refused != 32 {
				t.Fatalf("want 8 accepted (3 licenses, then 7 x 1) and 32 refused, got %d and %d", ok, refused)
			}
			wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 10, Assigned: 10, Available: 0})
			if sum := e.summary(w.Key, []string{"SKU"}, nil, time.Time{}); sum["INTUNE"].Assigned != 10 {
				t.Fatalf("summary counter: %s", formatRows(sum))
			}
		})
	})

	t.Run("R-LIC-6_concurrent_lowering_and_assignments_never_make_a_conflict", func(t *testing.T) {
		testenv.MySQLOnly(t, func(t *testing.T, s *models.Store) {
			e, w, users, sub := intuneWorld(t, s, 100, 100)
			e.assign(w.Key, w.AccountID, "INTUNE", users[:50]...)
			c := newLiveClient(t, e)
			// 50 assignments, a millisecond apart, and in the middle of them a lowering to 75
			// without acceptConflict: whichever commits first, no conflict may come out of it.
			outcomes := concurrent.AllAtOnce(51, func(i int) liveOutcome {
				if i == 25 {
					time.Sleep(12 * time.Millisecond)
					return c.post(w.Key, setQuantityDoc, map[string]any{"id": sub, "q": 75})
				}
				u := i
				if i > 25 {
					u = i - 1
				}
				time.Sleep(time.Duration(u) * 500 * time.Microsecond)
				return c.post(w.Key, assignDoc, map[string]any{"a": w.AccountID, "s": "INTUNE", "u": []string{users[50+u]}})
			})
			lowered := false
			assignedOK := 0
			for i, o := range outcomes {
				if o.err != nil {
					t.Fatalf("call %d: %v", i, o.err)
				}
				switch {
				case i == 25 && len(o.ue) == 0:
					lowered = true
				case i == 25:
					if o.ue[0].Code != "BELOW_ASSIGNED" {
						t.Fatalf("lowering: %+v", o.ue)
					}
					// Refused only when more than 75 were assigned as it ran.
					var n int
					if _, err := fmt.Sscanf(o.ue[0].Message[strings.Index(o.ue[0].Message, " for ")+5:], "%d", &n); err != nil || n <= 75 || n > 100 {
						t.Fatalf("lowering to 75 refused with %d assigned: %q", n, o.ue[0].Message)
					}
				case len(o.ue) == 0:
					assignedOK++
				case o.ue[0].Code != "NOT_ENOUGH_LICENSES":
					t.Fatalf("assignment %d: %+v", i, o.ue)
				}
			}
			lic := e.licenses(w.Key, w.AccountID, time.Time{})["INTUNE"]
			if lic.Assigned != 50+assignedOK {
				t.Fatalf("assigned %d, but %d assignments were accepted on top of 50", lic.Assigned, assignedOK)
			}
			if lowered {
				// The assignments after it fill the 75 exactly.
				if lic != (licenseRow{Licensed: 75, Assigned: 75, Available: 0}) {
					t.Fatalf("lowered to 75 but licenses are %+v", lic)
				}
			} else if lic != (licenseRow{Licensed: 100, Assigned: 100, Available: 0}) {
				// Refused: only because more than 60 were assigned when it ran.
				t.Fatalf("lowering refused but licenses are %+v", lic)
			}
			if cs := e.conflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
				t.Fatalf("a conflict without acceptConflict (lowered %v): %+v", lowered, cs)
			}
			t.Logf("lowering accepted: %v; assignments accepted: %d", lowered, assignedOK)
		})
	})
}
