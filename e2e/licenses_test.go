package e2e

// License assignments, conflicts with their resolutions (R-LIC) and the license summary for BI
// tools (R-BI) end to end, through the GraphQL API, each rule proved by a subtest named by its
// ID, on every engine of the run (SQLite always, MariaDB with TEST_MYSQL_DSN).

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// License assignments (R-LIC-1, R-LIC-5, R-LIC-6): never past the licensed quantity, removal with
// confirmed data loss, lowering a quantity.
func TestLicenseAssignments(t *testing.T) {
	ruleCase(t, "R-LIC-1_assign_up_to_licensed_quantity_and_not_past_it", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		e.directID(w.Key, w.AccountID, "INTUNE", 3, "2027-11-22", true)

		p := e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com")
		if got := strs(p["changedUsers"]); !reflect.DeepEqual(got, []string{"alice@fabrikam.com", "bob@fabrikam.com"}) {
			t.Fatalf("changedUsers %v", got)
		}
		if str(p, "account", "id") != w.AccountID {
			t.Fatalf("payload account %v", p["account"])
		}
		wantPayloadLicense(t, p, "INTUNE", licenseRow{Licensed: 3, Assigned: 2, Available: 1})

		// Re-assigning a user who holds the SKU uses no further license: alice + carol needs one.
		p = e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "carol@fabrikam.com")
		if got := strs(p["changedUsers"]); !reflect.DeepEqual(got, []string{"carol@fabrikam.com"}) {
			t.Fatalf("changedUsers %v, want only carol (alice already holds INTUNE)", got)
		}
		wantPayloadLicense(t, p, "INTUNE", licenseRow{Licensed: 3, Assigned: 3, Available: 0})
		// At the limit, assigning holders again is still fine and changes nothing.
		p = e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		if got := strs(p["changedUsers"]); len(got) != 0 {
			t.Fatalf("changedUsers %v, want none", got)
		}
		wantPayloadLicense(t, p, "INTUNE", licenseRow{Licensed: 3, Assigned: 3, Available: 0})

		// One past the licensed quantity: refused, naming the one missing; nothing written.
		ue := e.assignRefused(w.Key, w.AccountID, "INTUNE", "dave@fabrikam.com")
		wantMissing(t, ue, 1)
		// Two new users (alice is not new): two missing.
		ue = e.assignRefused(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		wantMissing(t, ue, 2)
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 3, Assigned: 3, Available: 0})

		// All or nothing: a call that would pass the limit assigns none of its users.
		e.directID(w.Key, w.AccountID, "O365-E1", 1, "2027-11-22", true)
		wantMissing(t, e.assignRefused(w.Key, w.AccountID, "O365-E1", "dave@fabrikam.com", "erin@fabrikam.com"), 1)
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "O365-E1", licenseRow{Licensed: 1, Assigned: 0, Available: 1})
		// A user named twice in one call counts once.
		p = e.assign(w.Key, w.AccountID, "O365-E1", "dave@fabrikam.com", "DAVE@fabrikam.com")
		wantPayloadLicense(t, p, "O365-E1", licenseRow{Licensed: 1, Assigned: 1, Available: 0})

		// Licenses of an enrollment on the account add to the same pool (R-ENR-2).
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "INTUNE", 2)
		p = e.assign(w.Key, w.AccountID, "INTUNE", "dave@fabrikam.com", "erin@fabrikam.com")
		wantPayloadLicense(t, p, "INTUNE", licenseRow{Licensed: 5, Assigned: 5, Available: 0})
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 5, Assigned: 5, Available: 0})
	})
	ruleCase(t, "R-LIC-1_expired_quantity_is_not_assignable", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		e.directID(w.Key, w.AccountID, "O365-E1", 5, "2026-11-30", false) // expires 2026-12-01 (R-SUB-5)
		e.directID(w.Key, w.AccountID, "O365-E1", 2, "2027-11-30", true)
		e.assign(w.Key, w.AccountID, "O365-E1", "alice@fabrikam.com")
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "O365-E1", licenseRow{Licensed: 7, Assigned: 1, Available: 6})

		e.SetNow(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "O365-E1", licenseRow{Licensed: 2, Assigned: 1, Available: 1})
		// Only the ACTIVE 2 count (R-SUB-1): one holder plus two new is one too many.
		ue := e.assignRefused(w.Key, w.AccountID, "O365-E1", "bob@fabrikam.com", "carol@fabrikam.com")
		wantMissing(t, ue, 1)
		p := e.assign(w.Key, w.AccountID, "O365-E1", "bob@fabrikam.com")
		wantPayloadLicense(t, p, "O365-E1", licenseRow{Licensed: 2, Assigned: 2, Available: 0})
		wantMissing(t, e.assignRefused(w.Key, w.AccountID, "O365-E1", "carol@fabrikam.com"), 1)
	})
	ruleCase(t, "R-LIC-1_refusals_unknown_account_user_sku_and_reader_key", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.directID(w.Key, w.AccountID, "INTUNE", 3, "2027-11-22", true)
		other, _ := e.newReseller("Other")
		// Another reseller's account looks missing.
		hasCode(t, e.assignRefused(other, w.AccountID, "INTUNE", "alice@fabrikam.com"), "NOT_FOUND")
		hasCode(t, e.assignRefused(w.Key, globalID("Account", 12345), "INTUNE", "alice@fabrikam.com"), "NOT_FOUND")
		hasCode(t, e.assignRefused(w.Key, w.AccountID, "NOPE", "alice@fabrikam.com"), "UNKNOWN_SKU")
		hasCode(t, e.assignRefused(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "nobody@fabrikam.com"), "NOT_FOUND")
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 3, Assigned: 0, Available: 3})
		// A READER key reads but does not assign.
		r := e.do(e.readerKey(w.ResellerID), assignDoc, map[string]any{"a": w.AccountID, "s": "INTUNE", "u": []string{"alice@fabrikam.com"}})
		if r.errCode() != "FORBIDDEN" {
			t.Fatalf("assignLicenses with a READER key: want FORBIDDEN, got %s", r.Raw)
		}
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 3, Assigned: 0, Available: 3})
	})
	// The schema: UserError.field is "the path to the input field at fault". The users of
	// assignLicenses and removeLicenses are the input field userNames.
	ruleCase(t, "R-LIC-1_user_error_paths_name_input_fields", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.directID(w.Key, w.AccountID, "INTUNE", 1, "2027-11-22", true)
		want := func(ue []userError, code, field string) {
			t.Helper()
			for _, u := range ue {
				if u.Code == code && strings.Join(u.Field, ".") == field {
					return
				}
			}
			t.Errorf("want userError %s on %q (the input field of AssignLicensesInput), got %+v", code, field, ue)
		}
		want(e.assignRefused(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com"), "NOT_ENOUGH_LICENSES", "userNames")
		want(e.assignRefused(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "nobody@fabrikam.com"), "NOT_FOUND", "userNames.1")
	})
	// Who holds what (issue 10): the users holding a SKU on an account, and the licenses of a user,
	// page by page, so an administrator sees whom a conflict or a removal concerns.
	ruleCase(t, "R-LIC-4_R-LIC-5_who_holds_a_sku_users_by_sku_and_user_licenses", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com")
		e.directID(w.Key, w.AccountID, "INTUNE", 3, "2027-11-22", true)
		e.directID(w.Key, w.AccountID, "O365-E1", 2, "2027-11-22", true)
		e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		e.SetNow(t0.Add(hour))
		e.assign(w.Key, w.AccountID, "O365-E1", "alice@fabrikam.com")
		holders := func(sku any, first int) ([]string, []string) {
			var names, ids []string
			var after any
			for page := 0; page < 10; page++ {
				conn := get(e.ok(w.Key, accountUsersBySKUDoc, map[string]any{"id": w.AccountID, "sku": sku, "first": first, "after": after}), "node", "users")
				for _, ed := range get(conn, "edges").([]any) {
					names, ids = append(names, str(ed, "node", "userName")), append(ids, str(ed, "node", "id"))
				}
				if num(conn, "totalCount") < len(names) || get(conn, "pageInfo", "hasNextPage") != true {
					break
				}
				after = str(conn, "pageInfo", "endCursor")
			}
			return names, ids
		}
		intune, ids := holders("INTUNE", 2) // in pages of two
		if !reflect.DeepEqual(intune, []string{"alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com"}) {
			t.Fatalf("users holding INTUNE: %v", intune)
		}
		for sku, want := range map[string][]string{"O365-E1": {"alice@fabrikam.com"}, "M365-E3": nil} {
			if got, _ := holders(sku, 20); !reflect.DeepEqual(got, want) {
				t.Errorf("users holding %s: %v, want %v", sku, got, want)
			}
		}
		if all, _ := holders(nil, 20); len(all) != 4 {
			t.Errorf("users without a filter: %v, want all 4", all)
		}
		// Alice's licenses, in the order assigned, one per page.
		var got []string
		var after any
		for page := 0; page < 5; page++ {
			conn := get(e.ok(w.Key, userLicensesDoc, map[string]any{"id": ids[0], "first": 1, "after": after}), "node", "licenses")
			if num(conn, "totalCount") != 2 {
				t.Fatalf("alice's licenses: totalCount %d, want 2", num(conn, "totalCount"))
			}
			for _, ed := range get(conn, "edges").([]any) {
				got = append(got, str(ed, "node", "sku", "code")+"@"+str(ed, "node", "assignedAt"))
			}
			if get(conn, "pageInfo", "hasNextPage") != true {
				break
			}
			after = str(conn, "pageInfo", "endCursor")
		}
		if want := []string{"INTUNE@" + t0s, "O365-E1@2026-11-23T10:00:00Z"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("alice's licenses %v, want %v", got, want)
		}
		// A removal shows at once; another reseller sees no such user.
		e.mutate(w.Key, removeDoc, map[string]any{"a": w.AccountID, "s": "INTUNE", "u": []string{"alice@fabrikam.com"}, "c": true})
		if after, _ := holders("INTUNE", 20); !reflect.DeepEqual(after, []string{"bob@fabrikam.com", "carol@fabrikam.com"}) {
			t.Errorf("users holding INTUNE after removing alice's: %v", after)
		}
		other, _ := e.newReseller("Other")
		if d := e.ok(other, userLicensesDoc, map[string]any{"id": ids[0]}); d["node"] != nil {
			t.Errorf("another reseller reads alice's licenses: %v", d)
		}
	})
	ruleCase(t, "R-LIC-5_remove_needs_confirmed_data_loss_and_deleting_a_user_frees_licenses", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		e.directID(w.Key, w.AccountID, "INTUNE", 3, "2027-11-22", true)
		e.directID(w.Key, w.AccountID, "O365-E1", 1, "2027-11-22", true)
		e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		e.assign(w.Key, w.AccountID, "O365-E1", "bob@fabrikam.com")

		vars := map[string]any{"a": w.AccountID, "s": "INTUNE", "u": []string{"alice@fabrikam.com"}, "c": false}
		d := e.ok(w.Key, removeDoc, vars)
		if get(d, "removeLicenses", "license") != nil || len(strs(get(d, "removeLicenses", "changedUsers"))) != 0 {
			t.Fatalf("a refused removeLicenses changes nothing and has no license: %v", d)
		}
		ue := e.refused(w.Key, removeDoc, vars)
		hasUserError(t, ue, "DATA_LOSS_NOT_CONFIRMED", "confirmDataLoss")
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 3, Assigned: 3, Available: 0})

		vars["c"] = true
		p := e.mutate(w.Key, removeDoc, vars)
		if got := strs(p["changedUsers"]); !reflect.DeepEqual(got, []string{"alice@fabrikam.com"}) {
			t.Fatalf("changedUsers %v", got)
		}
		wantPayloadLicense(t, p, "INTUNE", licenseRow{Licensed: 3, Assigned: 2, Available: 1})
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 3, Assigned: 2, Available: 1})
		// Removing again is idempotent.
		p = e.mutate(w.Key, removeDoc, vars)
		if got := strs(p["changedUsers"]); len(got) != 0 {
			t.Fatalf("removing a license not held: changedUsers %v", got)
		}
		// The freed license can be assigned to someone else.
		e.assign(w.Key, w.AccountID, "INTUNE", "dave@fabrikam.com")

		// Deleting bob frees his INTUNE and O365-E1 licenses.
		p = e.mutate(w.Key, deleteUserDoc, map[string]any{"a": w.AccountID, "u": "bob@fabrikam.com"})
		if got := strs(p["freedSkus"]); !reflect.DeepEqual(got, []string{"INTUNE", "O365-E1"}) {
			t.Fatalf("freedSkus %v, want [INTUNE O365-E1]", got)
		}
		if n := num(p, "account", "users", "totalCount"); n != 4 || strings.Contains(fmt.Sprint(get(p, "account", "users")), "bob@") {
			t.Fatalf("after deleting bob: users %v", get(p, "account", "users"))
		}
		lic := e.licenses(w.Key, w.AccountID, time.Time{})
		wantLicense(t, lic, "INTUNE", licenseRow{Licensed: 3, Assigned: 2, Available: 1})
		wantLicense(t, lic, "O365-E1", licenseRow{Licensed: 1, Assigned: 0, Available: 1})
		e.assign(w.Key, w.AccountID, "INTUNE", "erin@fabrikam.com")
		e.assign(w.Key, w.AccountID, "O365-E1", "erin@fabrikam.com")
		// The summary's counters follow too (R-BI-1).
		sum := e.summary(w.Key, []string{"SKU"}, nil, time.Time{})
		if sum["INTUNE"].Assigned != 3 || sum["O365-E1"].Assigned != 1 {
			t.Fatalf("summary after delete and reassign: %s", formatRows(sum))
		}
		// A user who is not there.
		ue = e.refused(w.Key, deleteUserDoc, map[string]any{"a": w.AccountID, "u": "bob@fabrikam.com"})
		hasUserError(t, ue, "NOT_FOUND", "userName")
		// A user without licenses: nothing freed.
		e.addUsers(w.Key, w.AccountID, "gina@fabrikam.com")
		p = e.mutate(w.Key, deleteUserDoc, map[string]any{"a": w.AccountID, "u": "gina@fabrikam.com"})
		if got := strs(p["freedSkus"]); len(got) != 0 {
			t.Fatalf("freedSkus of a user without licenses: %v", got)
		}
	})
	// AccountLicense.inGrace in the assign/remove payload: "The SKU's licenses on the account
	// after the change" must agree with Account.licenses, also while a renewal is in grace.
	ruleCase(t, "R-LIC-5_payload_license_matches_account_licenses_during_grace", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 4)
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com")
		e.mutate(w.Key, renewEnrollmentDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22", "lines": []any{map[string]any{"sku": "O365-E5", "quantity": 4}}}})
		want := e.licenses(w.Key, w.AccountID, time.Time{})
		if want["O365-E3"].InGrace != 4 {
			t.Fatalf("setup: O365-E3 in grace: %+v", want)
		}
		p := e.mutate(w.Key, removeDoc, map[string]any{"a": w.AccountID, "s": "O365-E3", "u": []string{"alice@fabrikam.com"}, "c": true})
		wantPayloadLicense(t, p, "O365-E3", e.licenses(w.Key, w.AccountID, time.Time{})["O365-E3"])
	})
	ruleCase(t, "R-LIC-6_lowering_below_assigned_needs_accept_conflict", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 5)
		sub := e.subscriptionIDs(w.Key, "E-1")["O365-E3"]
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")

		for _, acc := range []any{nil, false} {
			r := e.setQuantity(w.Key, sub, 2, acc)
			ue := userErrorsOf(t, r)
			hasUserError(t, ue, "BELOW_ASSIGNED", "quantity")
			if get(r.Data, "setSubscriptionQuantity", "subscription") != nil {
				t.Errorf("refused setSubscriptionQuantity must carry no subscription: %s", r.Raw)
			}
			wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "O365-E3", licenseRow{Licensed: 5, Assigned: 3, Available: 2})
			if cs := e.conflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
				t.Fatalf("a refused lowering makes no conflict: %+v", cs)
			}
		}
		// Down to exactly what is assigned needs no acceptance.
		if ue := userErrorsOf(t, e.setQuantity(w.Key, sub, 3, nil)); len(ue) != 0 {
			t.Fatalf("lowering to the assigned count: %+v", ue)
		}
		r := e.setQuantity(w.Key, sub, 2, true)
		if ue := userErrorsOf(t, r); len(ue) != 0 || num(r.Data, "setSubscriptionQuantity", "subscription", "quantity") != 2 {
			t.Fatalf("lowering with acceptConflict: %s", r.Raw)
		}
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "O365-E3", licenseRow{Licensed: 2, Assigned: 3, Available: 0})
		oneConflict(t, e.conflicts(w.Key, w.AccountID, time.Time{}), "O365-E3", 2, 0, 3, 1, []string{"carol@fabrikam.com"})
	})
	ruleCase(t, "R-LIC-6_the_whole_pool_counts_not_only_the_lowered_subscription", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		a := e.directID(w.Key, w.AccountID, "INTUNE", 5, "2027-11-22", true)
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "INTUNE", 2)
		b := e.subscriptionIDs(w.Key, "E-1")["INTUNE"]
		e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		// 1 + 2 still covers 3 users.
		if ue := userErrorsOf(t, e.setQuantity(w.Key, a, 1, nil)); len(ue) != 0 {
			t.Fatalf("lowering one subscription while the pool still covers: %+v", ue)
		}
		// 1 + 1 does not.
		hasUserError(t, userErrorsOf(t, e.setQuantity(w.Key, b, 1, nil)), "BELOW_ASSIGNED", "quantity")
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 3, Assigned: 3, Available: 0})
		// Raising needs nothing.
		if ue := userErrorsOf(t, e.setQuantity(w.Key, b, 4, nil)); len(ue) != 0 {
			t.Fatalf("raising: %+v", ue)
		}
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 5, Assigned: 3, Available: 2})
	})
}

// License conflicts (R-LIC-2, R-LIC-3, R-LIC-4, R-LIC-7): who is not covered, the resolutions,
// projections, and the accounts in conflict.
func TestLicenseConflicts(t *testing.T) {
	ruleCase(t, "R-LIC-2_lowered_quantity_makes_a_conflict", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		sub := e.directID(w.Key, w.AccountID, "INTUNE", 5, "2027-11-22", true)
		// erin first, the others an hour later: the most recently assigned are carol and dave
		// (ties by the order users were created), not erin.
		e.assign(w.Key, w.AccountID, "INTUNE", "erin@fabrikam.com")
		e.SetNow(t0.Add(time.Hour))
		e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com", "dave@fabrikam.com")
		if cs := e.conflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("no conflict before lowering, got %+v", cs)
		}

		r := e.setQuantity(w.Key, sub, 3, true)
		if ue := userErrorsOf(t, r); len(ue) != 0 || num(r.Data, "setSubscriptionQuantity", "subscription", "quantity") != 3 {
			t.Fatalf("lowering with acceptConflict: %s", r.Raw)
		}
		c := oneConflict(t, e.conflicts(w.Key, w.AccountID, time.Time{}), "INTUNE", 3, 0, 5, 2,
			[]string{"carol@fabrikam.com", "dave@fabrikam.com"})
		wantBuyRemove(t, c, 5, 2)
		if resolutionOf(c, "RENEW_SUBSCRIPTION") != nil {
			t.Fatalf("nothing expired, no RENEW_SUBSCRIPTION: %+v", c.Resolutions)
		}
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licenseRow{Licensed: 3, Assigned: 5, Available: 0})
		e.wantSummaryMatchesLicenses(t, w.Key, w.AccountID, time.Time{})
		acc, total := e.accountsWithConflicts(w.Key, time.Time{})
		if total != 1 || acc[w.AccountID] != [2]int{1, 2} {
			t.Fatalf("accountsWithConflicts: %v (total %d), want %s with 1 SKU, deficit 2", acc, total, w.AccountID)
		}
		// A conflict allows no new assignment.
		e.addUsers(w.Key, w.AccountID, "frank@fabrikam.com")
		wantMissing(t, e.assignRefused(w.Key, w.AccountID, "INTUNE", "frank@fabrikam.com"), 3)
	})
	ruleCase(t, "R-LIC-3_expired_without_auto_renew_puts_every_user_in_conflict", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		expiring := e.directID(w.Key, w.AccountID, "O365-E3", 3, "2026-12-31", false)
		renewing := e.directID(w.Key, w.AccountID, "O365-E3", 1, "2027-12-31", true)
		users := []string{"alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com"}
		e.assign(w.Key, w.AccountID, "O365-E3", users...)

		lastDay := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
		expired := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		if cs := e.conflicts(w.Key, w.AccountID, lastDay); len(cs) != 0 {
			t.Fatalf("on its last day the subscription covers its users: %+v", cs)
		}
		// Past the end date: 1 licensed for 3 users, a deficit of 2, but every user of the
		// expired service is affected (R-LIC-3), not only the 2 most recent.
		c := oneConflict(t, e.conflicts(w.Key, w.AccountID, expired), "O365-E3", 1, 0, 3, 2, users)
		wantBuyRemove(t, c, 3, 2)
		renew := resolutionOf(c, "RENEW_SUBSCRIPTION")
		if renew == nil || !reflect.DeepEqual(renew.SubscriptionIDs, []string{expiring}) || renew.NewTotal == nil || *renew.NewTotal != 4 ||
			renew.UserCount != nil || renew.Message == "" {
			t.Fatalf("RENEW_SUBSCRIPTION: want subscriptionIds [%s] (not %s), newTotal 4, got %+v", expiring, renewing, renew)
		}
		acc, total := e.accountsWithConflicts(w.Key, expired)
		if total != 1 || acc[w.AccountID] != [2]int{1, 2} {
			t.Fatalf("accountsWithConflicts(asOf %s): %v, want the account, deficit 2", dateTime(expired), acc)
		}
		if _, total := e.accountsWithConflicts(w.Key, time.Time{}); total != 0 {
			t.Fatalf("accountsWithConflicts now: %d accounts, want 0", total)
		}
		wantLicense(t, e.licenses(w.Key, w.AccountID, expired), "O365-E3", licenseRow{Licensed: 1, Assigned: 3, Available: 0})
		wantLicense(t, e.licenses(w.Key, w.AccountID, lastDay), "O365-E3", licenseRow{Licensed: 4, Assigned: 3, Available: 1})
		e.wantSummaryMatchesLicenses(t, w.Key, w.AccountID, lastDay)
		e.wantSummaryMatchesLicenses(t, w.Key, w.AccountID, expired)

		// Once it has expired, the conflict is there without asOf; renewing it resolves it.
		e.SetNow(time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC))
		oneConflict(t, e.conflicts(w.Key, w.AccountID, time.Time{}), "O365-E3", 1, 0, 3, 2, users)
		p := e.mutate(w.Key, renewSubscriptionDoc, map[string]any{"id": renew.SubscriptionIDs[0]})
		if str(p, "subscription", "status") != "ACTIVE" {
			t.Fatalf("renewSubscription: %v", p)
		}
		if cs := e.conflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("after renewing, no conflict: %+v", cs)
		}
	})
	ruleCase(t, "R-LIC-4_resolutions_buy_remove_and_empty_or_null", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com")
		sub := e.directID(w.Key, w.AccountID, "INTUNE", 4, "2027-11-22", true)

		// No conflict: an empty list, not null; also for an account with no licenses at all.
		d := e.ok(w.Key, conflictsDoc, map[string]any{"a": w.AccountID, "at": nil})
		if l, ok := d["licenseConflicts"].([]any); !ok || len(l) != 0 || !strings.Contains(rawJSON(t, d), `"licenseConflicts":[]`) {
			t.Fatalf("no conflict: want [], got %s", rawJSON(t, d))
		}
		users := []string{"alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com", "dave@fabrikam.com"}
		e.assign(w.Key, w.AccountID, "INTUNE", users...)
		if cs := e.conflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("4 of 4 assigned is no conflict: %+v", cs)
		}

		if ue := userErrorsOf(t, e.setQuantity(w.Key, sub, 1, true)); len(ue) != 0 {
			t.Fatalf("lowering with acceptConflict: %+v", ue)
		}
		c := oneConflict(t, e.conflicts(w.Key, w.AccountID, time.Time{}), "INTUNE", 1, 0, 4, 3, users[1:])
		wantBuyRemove(t, c, 4, 3)
		if len(c.Resolutions) != 2 || c.Resolutions[0].Kind != "BUY_MORE" || c.Resolutions[1].Kind != "REMOVE_LICENSES" {
			t.Fatalf("resolutions: want BUY_MORE, REMOVE_LICENSES, got %+v", c.Resolutions)
		}
		// A READER key sees the same.
		if cs := e.conflicts(e.readerKey(w.ResellerID), w.AccountID, time.Time{}); !reflect.DeepEqual(cs, []conflictRow{c}) {
			t.Fatalf("READER key: %+v, want %+v", cs, c)
		}

		// Following BUY_MORE: its newTotal is the total to set (R-SUB-7), and it resolves the conflict.
		if ue := userErrorsOf(t, e.setQuantity(w.Key, sub, *resolutionOf(c, "BUY_MORE").NewTotal, nil)); len(ue) != 0 {
			t.Fatalf("buying up to newTotal: %+v", ue)
		}
		if cs := e.conflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("after buying up to newTotal: %+v", cs)
		}
		// Following REMOVE_LICENSES: removing the license from userCount users resolves it.
		if ue := userErrorsOf(t, e.setQuantity(w.Key, sub, 2, true)); len(ue) != 0 {
			t.Fatalf("lowering again: %+v", ue)
		}
		c = oneConflict(t, e.conflicts(w.Key, w.AccountID, time.Time{}), "INTUNE", 2, 0, 4, 2, users[2:])
		wantBuyRemove(t, c, 4, 2)
		p := e.mutate(w.Key, removeDoc, map[string]any{"a": w.AccountID, "s": "INTUNE", "u": c.AffectedUsers, "c": true})
		wantPayloadLicense(t, p, "INTUNE", licenseRow{Licensed: 2, Assigned: 2, Available: 0})
		if cs := e.conflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("after removing userCount licenses: %+v", cs)
		}

		// Null for an unknown account, a malformed id, an id of another type and another reseller's account.
		other, _ := e.newReseller("Other")
		for _, tc := range []struct{ key, id string }{
			{w.Key, globalID("Account", 12345)}, {w.Key, "not-an-id"}, {w.Key, w.CustomerID}, {other, w.AccountID},
		} {
			r := e.do(tc.key, conflictsDoc, map[string]any{"a": tc.id, "at": nil})
			if len(r.Errors) > 0 || r.Data == nil || r.Data["licenseConflicts"] != nil || !strings.Contains(r.Raw, `"licenseConflicts":null`) {
				t.Fatalf("licenseConflicts(%s): want null, got %s", tc.id, r.Raw)
			}
		}
		// Another reseller's conflicts never show in its accountsWithConflicts.
		e.setQuantity(w.Key, sub, 1, true)
		if _, total := e.accountsWithConflicts(other, time.Time{}); total != 0 {
			t.Fatalf("another reseller sees %d accounts with conflicts", total)
		}
		if _, total := e.accountsWithConflicts(w.Key, time.Time{}); total != 1 {
			t.Fatalf("own accountsWithConflicts: %d, want 1", total)
		}
	})
	ruleCase(t, "R-LIC-7_renewal_onto_another_sku_projects_conflicts_at_grace_end", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com")
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 4)
		e3Users := []string{"alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com"}
		e.assign(w.Key, w.AccountID, "O365-E3", e3Users...)

		p := e.mutate(w.Key, renewEnrollmentDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22", "lines": []any{map[string]any{"sku": "O365-E5", "quantity": 4}}}})
		if !reflect.DeepEqual(strs(p["reassignSkus"]), []string{"O365-E3"}) || len(strs(p["carriedSkus"])) != 0 ||
			str(p, "newEnrollment", "account", "id") != w.AccountID {
			t.Fatalf("renewEnrollment E3 -> E5: %v", p)
		}
		// 30 days from the new term's start, 2026-11-23 (clarification R-SUB-3).
		start := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
		graceEnd, err := time.Parse(time.RFC3339Nano, str(p, "graceUntil"))
		if err != nil || !graceEnd.Equal(start.Add(30*day)) {
			t.Fatalf("graceUntil %q, want the new start + 30 days (%s)", str(p, "graceUntil"), dateTime(start.Add(30*day)))
		}

		// During grace the E3 users keep access: no conflict today, nor just before the end.
		if cs := e.conflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("in grace, no conflict today: %+v", cs)
		}
		if cs := e.conflicts(w.Key, w.AccountID, graceEnd.Add(-time.Second)); len(cs) != 0 {
			t.Fatalf("in grace until its last second: %+v", cs)
		}
		lic := e.licenses(w.Key, w.AccountID, time.Time{})
		wantLicense(t, lic, "O365-E3", licenseRow{Licensed: 0, InGrace: 4, Assigned: 3, Available: 0})
		wantLicense(t, lic, "O365-E5", licenseRow{Licensed: 4, InGrace: 0, Assigned: 0, Available: 4})
		// In-grace licenses are not licensed: no new E3 assignment (R-SUB-1, R-LIC-1).
		hasCode(t, e.assignRefused(w.Key, w.AccountID, "O365-E3", "dave@fabrikam.com"), "NOT_ENOUGH_LICENSES")

		// Projected to the end of the grace period, the E3 users lose access (R-SUB-3, R-SUB-4).
		// No E3 is left to buy: the way out is to assign the new SKU (clarification R-SUB-4 / R-LIC-7).
		c := oneConflict(t, e.conflicts(w.Key, w.AccountID, graceEnd), "O365-E3", 0, 0, 3, 3, e3Users)
		wantSwitched(t, c, 3, 3, "O365-E5")
		if resolutionOf(c, "RENEW_SUBSCRIPTION") != nil {
			t.Fatalf("a deprovisioned subscription is not offered for renewal: %+v", c.Resolutions)
		}
		c = oneConflict(t, e.conflicts(w.Key, w.AccountID, graceEnd.Add(10*day)), "O365-E3", 0, 0, 3, 3, e3Users)
		lic = e.licenses(w.Key, w.AccountID, graceEnd)
		wantLicense(t, lic, "O365-E3", licenseRow{Licensed: 0, InGrace: 0, Assigned: 3, Available: 0})
		for _, at := range []time.Time{{}, graceEnd.Add(-time.Second), graceEnd} {
			e.wantSummaryMatchesLicenses(t, w.Key, w.AccountID, at)
		}

		acc, total := e.accountsWithConflicts(w.Key, graceEnd)
		if total != 1 || acc[w.AccountID] != [2]int{1, 3} {
			t.Fatalf("accountsWithConflicts(asOf grace end): %v (total %d), want the account with 1 SKU, deficit 3", acc, total)
		}
		for _, at := range []time.Time{{}, t0, graceEnd.Add(-time.Second)} {
			if acc, total := e.accountsWithConflicts(w.Key, at); total != 0 {
				t.Fatalf("accountsWithConflicts(asOf %v): %v, want none during grace", at, acc)
			}
		}

		// The administrator moves alice and bob to E5: only carol is left to lose access. Their
		// E3 licenses still count in the pool's deficit until removed (or the sweep removes them).
		e.assign(w.Key, w.AccountID, "O365-E5", "alice@fabrikam.com", "bob@fabrikam.com")
		wantSwitched(t, oneConflict(t, e.conflicts(w.Key, w.AccountID, graceEnd), "O365-E3", 0, 0, 3, 3, []string{"carol@fabrikam.com"}), 3, 1, "O365-E5")
		e.mutate(w.Key, removeDoc, map[string]any{"a": w.AccountID, "s": "O365-E3", "u": []string{"alice@fabrikam.com", "bob@fabrikam.com"}, "c": true})
		oneConflict(t, e.conflicts(w.Key, w.AccountID, graceEnd), "O365-E3", 0, 0, 1, 1, []string{"carol@fabrikam.com"})
		if acc, _ := e.accountsWithConflicts(w.Key, graceEnd); acc[w.AccountID] != [2]int{1, 1} {
			t.Fatalf("accountsWithConflicts after moving two users: %v", acc)
		}
		// Once the grace period has really ended, today's conflicts say the same.
		e.SetNow(graceEnd.Add(time.Hour))
		oneConflict(t, e.conflicts(w.Key, w.AccountID, time.Time{}), "O365-E3", 0, 0, 1, 1, []string{"carol@fabrikam.com"})
	})
	// Clarification R-SUB-4 / R-LIC-7: after a renewal onto other SKUs, users who already hold a
	// replacement SKU are not about to lose access and are not listed; the way out for the old
	// SKU is to assign the new one, not to buy more of a SKU the enrollment no longer has.
	ruleCase(t, "R-SUB-4_R-LIC-7_switched_sku_lists_only_users_without_the_new_sku", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		five := []string{"alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com"}
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 5)
		e.assign(w.Key, w.AccountID, "O365-E3", five...)
		p := e.renew(w.Key, "E-1", "E-1R", "2026-11-23", "2029-11-22", orderLines("O365-E5", 5))
		graceEnd := parseDateTime(t, p["graceUntil"])
		e.assign(w.Key, w.AccountID, "O365-E5", "alice@fabrikam.com", "bob@fabrikam.com")

		c := oneConflict(t, e.conflicts(w.Key, w.AccountID, graceEnd), "O365-E3", 0, 0, 5, 5, five[2:])
		wantSwitched(t, c, 5, 3, "O365-E5")
		if m := resolutionOf(c, "ASSIGN_NEW_SKU").Message; !strings.Contains(m, "3 users") {
			t.Errorf("ASSIGN_NEW_SKU message %q does not count the 3 users listed", m)
		}
		// At the grace end the sweep deletes every E3 license; alice and bob keep access through E5.
		if _, err := e.Store.SweepDeprovisioned(context.Background(), graceEnd, 100); err != nil {
			t.Fatal(err)
		}
		lic := e.licenses(w.Key, w.AccountID, graceEnd)
		wantLicense(t, lic, "O365-E3", licenseRow{Assigned: 0})
		wantLicense(t, lic, "O365-E5", licenseRow{Licensed: 5, Assigned: 2, Available: 3})
		if cs := e.conflicts(w.Key, w.AccountID, graceEnd); len(cs) != 0 {
			t.Fatalf("after the sweep: %+v", cs)
		}
	})
	ruleCase(t, "R-LIC-7_same_sku_renewal_carries_assignments_without_conflict", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 4)
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com")
		p := e.mutate(w.Key, renewEnrollmentDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22"}})
		if !reflect.DeepEqual(strs(p["carriedSkus"]), []string{"O365-E3"}) {
			t.Fatalf("renewal with the same SKUs: %v", p)
		}
		graceEnd := t0.Add(30 * day)
		for _, at := range []time.Time{{}, graceEnd, graceEnd.Add(400 * day)} {
			if cs := e.conflicts(w.Key, w.AccountID, at); len(cs) != 0 {
				t.Fatalf("carried assignments are covered (asOf %v): %+v", at, cs)
			}
		}
		// Renewed and in grace together are not a double count (R-SUB-2).
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "O365-E3", licenseRow{Licensed: 4, InGrace: 4, Assigned: 2, Available: 2})
		wantLicense(t, e.licenses(w.Key, w.AccountID, graceEnd), "O365-E3", licenseRow{Licensed: 4, InGrace: 0, Assigned: 2, Available: 2})
	})
	ruleCase(t, "R-LIC-2_accounts_with_conflicts_matches_conflicts_on_seeded_data", func(t *testing.T, e *env) {
		key, rep := seedLarge(t, e)
		listed, total := e.accountsWithConflicts(key, t0)
		if total == 0 || total != rep.ConflictAccounts {
			t.Fatalf("accountsWithConflicts: %d, the seed planned %d", total, rep.ConflictAccounts)
		}
		// Small pages list the same accounts, each once.
		if paged, n := e.accountsWithConflictsPaged(key, t0, 2); n != total || !reflect.DeepEqual(paged, listed) {
			t.Fatalf("accountsWithConflicts in pages of 2: %v (%d), in one page: %v (%d)", paged, n, listed, total)
		}
		var after any
		checked := 0
		for page := 0; page < 100; page++ {
			dd := e.ok(key, `query($after: String) { accounts(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
				map[string]any{"after": after})
			for _, ed := range get(dd, "accounts", "edges").([]any) {
				id := str(ed, "node", "id")
				cs := e.conflicts(key, id, t0)
				deficit := 0
				for _, c := range cs {
					deficit += c.Deficit
					if c.Deficit != c.Assigned-c.Licensed-c.InGrace || c.Deficit <= 0 {
						t.Fatalf("account %s: inconsistent conflict %+v", id, c)
					}
				}
				want, ok := listed[id]
				if ok != (len(cs) > 0) || (ok && want != [2]int{len(cs), deficit}) {
					t.Fatalf("account %s: accountsWithConflicts %v (listed %v), licenseConflicts %d SKUs, deficit %d", id, want, ok, len(cs), deficit)
				}
				checked++
			}
			if get(dd, "accounts", "pageInfo", "hasNextPage") != true {
				break
			}
			after = str(dd, "accounts", "pageInfo", "endCursor")
		}
		if checked < 20 {
			t.Fatalf("checked only %d accounts", checked)
		}
	})
}

// The license summary for BI (R-BI-1): groupings, filters, grace and reservations.
func TestLicenseSummary(t *testing.T) {
	ruleCase(t, "R-BI-1_summary_grouped_by_sku_customer_program_family_account", func(t *testing.T, e *env) {
		d := e.newBIFixture("Reseller", "")
		c1, c2 := d.C1, d.C2
		wantSummary(t, "by SKU", e.summary(d.Key, []string{"SKU"}, nil, time.Time{}), map[string]summaryRow{
			"INTUNE":  {Licensed: 12, Assigned: 3, Available: 9},
			"M365-E3": {Licensed: 2, Assigned: 2, Available: 0},
			"O365-E1": {Licensed: 4, Assigned: 1, Available: 3},
			"O365-E3": {Licensed: 12, Reserved: 2, Assigned: 3, Available: 9},
		})
		wantSummary(t, "by CUSTOMER", e.summary(d.Key, []string{"CUSTOMER"}, nil, time.Time{}), map[string]summaryRow{
			c1.CustomerID: {Licensed: 21, Reserved: 2, Assigned: 6, Available: 15},
			c2.CustomerID: {Licensed: 9, Assigned: 3, Available: 6},
		})
		wantSummary(t, "by PROGRAM, FAMILY", e.summary(d.Key, []string{"PROGRAM", "FAMILY"}, nil, time.Time{}), map[string]summaryRow{
			"ENTERPRISE|OFFICE_365": {Licensed: 12, Reserved: 2, Assigned: 3, Available: 9},
			"ENTERPRISE|INTUNE":     {Licensed: 5, Assigned: 2, Available: 3},
			"MOSP|OFFICE_365":       {Licensed: 4, Assigned: 1, Available: 3},
			"MPSA|INTUNE":           {Licensed: 7, Assigned: 1, Available: 6},
			"MPSA|MICROSOFT_365":    {Licensed: 2, Assigned: 2, Available: 0},
		})
		wantSummary(t, "by ACCOUNT", e.summary(d.Key, []string{"ACCOUNT"}, nil, time.Time{}), map[string]summaryRow{
			c1.AccountID: {Licensed: 21, Reserved: 2, Assigned: 6, Available: 15},
			c2.AccountID: {Licensed: 9, Assigned: 3, Available: 6},
		})
		wantSummary(t, "by ENROLLMENT", e.summary(d.Key, []string{"ENROLLMENT"}, nil, time.Time{}), map[string]summaryRow{
			"E-1": {Licensed: 17, Reserved: 2, Assigned: 5, Available: 12},
			"E-2": {Licensed: 9, Assigned: 3, Available: 6},
			"":    {Licensed: 4, Assigned: 1, Available: 3}, // the direct purchase has no enrollment
		})
		wantSummary(t, "by AGREEMENT", e.summary(d.Key, []string{"AGREEMENT"}, nil, time.Time{}), map[string]summaryRow{
			c1.AgreementID: {Licensed: 17, Reserved: 2, Assigned: 5, Available: 12},
			c2.AgreementID: {Licensed: 9, Assigned: 3, Available: 6},
			"":             {Licensed: 4, Assigned: 1, Available: 3},
		})
		wantSummary(t, "by RESELLER", e.summary(d.Key, []string{"RESELLER"}, nil, time.Time{}), map[string]summaryRow{d.ResellerID: biTotal})
		wantSummary(t, "no groupBy", e.summary(d.Key, []string{}, nil, time.Time{}), map[string]summaryRow{"": biTotal})
		// Grouped by pool dimensions and by subscription dimensions, the totals agree.
		for _, g := range [][]string{{"SKU"}, {"CUSTOMER"}, {"PROGRAM", "FAMILY"}, {"ACCOUNT", "SKU"}, {"CUSTOMER", "ENROLLMENT", "SKU"}} {
			var tot summaryRow
			for _, r := range e.summary(d.Key, g, nil, time.Time{}) {
				tot = tot.add(r)
			}
			if tot != biTotal {
				t.Fatalf("by %v the groups add up to %+v, want %+v", g, tot, biTotal)
			}
		}
		// Each account's groups equal its Account.licenses.
		for _, acc := range []string{c1.AccountID, c2.AccountID} {
			lic := e.licenses(d.Key, acc, time.Time{})
			sum := e.summary(d.Key, []string{"SKU"}, map[string]any{"accountIds": []string{acc}}, time.Time{})
			if len(sum) != len(lic) {
				t.Fatalf("account %s: summary %s, licenses %+v", acc, formatRows(sum), lic)
			}
			for sku, l := range lic {
				r := sum[sku]
				if (licenseRow{r.Licensed, r.InGrace, r.Assigned, r.Available, r.Pending}) != l {
					t.Fatalf("account %s %s: summary %+v, Account.licenses %+v", acc, sku, r, l)
				}
			}
		}
	})
	ruleCase(t, "R-BI-1_available_counted_per_pool_with_a_conflict", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "INTUNE", 5)
		e.directID(w.Key, w.AccountID, "O365-E1", 4, "2027-11-22", true)
		e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		e.assign(w.Key, w.AccountID, "O365-E1", "alice@fabrikam.com")
		sub := e.subscriptionIDs(w.Key, "E-1")["INTUNE"]
		if ue := userErrorsOf(t, e.setQuantity(w.Key, sub, 3, true)); len(ue) != 0 {
			t.Fatalf("lowering: %+v", ue)
		}
		// INTUNE: 3 licensed, 5 assigned (a conflict), nothing available; O365-E1: 3 spare,
		// which cover no INTUNE user: 3 available in every grouping, not 1.
		total := summaryRow{Licensed: 7, Assigned: 6, Available: 3}
		wantSummary(t, "by SKU", e.summary(w.Key, []string{"SKU"}, nil, time.Time{}), map[string]summaryRow{
			"INTUNE":  {Licensed: 3, Assigned: 5, Available: 0},
			"O365-E1": {Licensed: 4, Assigned: 1, Available: 3},
		})
		for _, g := range [][]string{{}, {"ACCOUNT"}, {"CUSTOMER"}, {"RESELLER"}, {"PROGRAM"}, {"ENROLLMENT"}, {"AGREEMENT"}, {"FAMILY"}, {"PROGRAM", "SKU"}} {
			var sum summaryRow
			for _, r := range e.summary(w.Key, g, nil, time.Time{}) {
				if r.Available < 0 || r.Available > r.Licensed {
					t.Fatalf("by %v: a group with available %d of %d licensed", g, r.Available, r.Licensed)
				}
				sum = sum.add(r)
			}
			if sum != total {
				t.Fatalf("by %v the groups add up to %+v, want %+v", g, sum, total)
			}
		}
		wantSummary(t, "by CUSTOMER", e.summary(w.Key, []string{"CUSTOMER"}, nil, time.Time{}), map[string]summaryRow{w.CustomerID: total})
		e.wantSummaryMatchesLicenses(t, w.Key, w.AccountID, time.Time{})
	})
	ruleCase(t, "R-BI-1_summary_filters", func(t *testing.T, e *env) {
		d := e.newBIFixture("Reseller", "")
		c1, c2 := d.C1, d.C2
		f := func(groupBy []string, filter map[string]any, want map[string]summaryRow) {
			t.Helper()
			wantSummary(t, fmt.Sprintf("by %v filtered %v", groupBy, filter), e.summary(d.Key, groupBy, filter, time.Time{}), want)
		}
		f([]string{"CUSTOMER"}, map[string]any{"skus": []string{"INTUNE"}}, map[string]summaryRow{
			c1.CustomerID: {Licensed: 5, Assigned: 2, Available: 3},
			c2.CustomerID: {Licensed: 7, Assigned: 1, Available: 6},
		})
		f([]string{"SKU"}, map[string]any{"families": []string{"OFFICE_365"}}, map[string]summaryRow{
			"O365-E1": {Licensed: 4, Assigned: 1, Available: 3},
			"O365-E3": {Licensed: 12, Reserved: 2, Assigned: 3, Available: 9},
		})
		f([]string{"SKU"}, map[string]any{"customerIds": []string{c2.CustomerID}}, map[string]summaryRow{
			"INTUNE":  {Licensed: 7, Assigned: 1, Available: 6},
			"M365-E3": {Licensed: 2, Assigned: 2, Available: 0},
		})
		f([]string{"PROGRAM"}, map[string]any{"customerIds": []string{c1.CustomerID}, "families": []string{"INTUNE", "MICROSOFT_365"}}, map[string]summaryRow{
			"ENTERPRISE": {Licensed: 5, Assigned: 2, Available: 3},
		})
		f([]string{"ACCOUNT"}, map[string]any{"programs": []string{"MOSP"}}, map[string]summaryRow{
			c1.AccountID: {Licensed: 4, Assigned: 1, Available: 3},
		})
		f([]string{}, map[string]any{"accountIds": []string{c2.AccountID}}, map[string]summaryRow{
			"": {Licensed: 9, Assigned: 3, Available: 6},
		})
		f([]string{"SKU"}, map[string]any{"enrollmentIds": []string{c1.EnrollmentID}}, map[string]summaryRow{
			"INTUNE":  {Licensed: 5, Assigned: 2, Available: 3},
			"O365-E3": {Licensed: 12, Reserved: 2, Assigned: 3, Available: 9},
		})
		f([]string{"CUSTOMER"}, map[string]any{"agreementIds": []string{c2.AgreementID}, "skus": []string{"M365-E3", "O365-E3"}}, map[string]summaryRow{
			c2.CustomerID: {Licensed: 2, Assigned: 2, Available: 0},
		})
		f([]string{"SKU"}, map[string]any{"customerIds": []string{c1.CustomerID, c2.CustomerID}, "skus": []string{"INTUNE"}}, map[string]summaryRow{
			"INTUNE": {Licensed: 12, Assigned: 3, Available: 9},
		})
		f([]string{"SKU"}, map[string]any{"resellerIds": []string{d.ResellerID}, "families": []string{"MICROSOFT_365"}}, map[string]summaryRow{
			"M365-E3": {Licensed: 2, Assigned: 2, Available: 0},
		})
		// Matching nothing: no group at all, also without groupBy.
		f([]string{"SKU"}, map[string]any{"skus": []string{"D365-SALES-PRO"}}, map[string]summaryRow{})
		f([]string{}, map[string]any{"customerIds": []string{globalID("Customer", 12345)}}, map[string]summaryRow{})
		f([]string{"ACCOUNT"}, map[string]any{"accountIds": []string{"not-an-id"}}, map[string]summaryRow{})
	})
	ruleCase(t, "R-BI-1_in_grace_after_renewal", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 10, "INTUNE", 3)
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com")
		e.mutate(w.Key, renewEnrollmentDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22", "lines": []any{map[string]any{"sku": "O365-E3", "quantity": 10}}}})
		graceEnd := t0.Add(30 * day)

		wantSummary(t, "by SKU in grace", e.summary(w.Key, []string{"SKU"}, nil, time.Time{}), map[string]summaryRow{
			"O365-E3": {Licensed: 10, InGrace: 10, Assigned: 2, Available: 8},
			"INTUNE":  {Licensed: 0, InGrace: 3, Assigned: 0, Available: 0},
		})
		wantSummary(t, "by ENROLLMENT in grace", e.summary(w.Key, []string{"ENROLLMENT"}, nil, time.Time{}), map[string]summaryRow{
			"E-1":  {Licensed: 0, InGrace: 13, Assigned: 0, Available: 0},
			"E-1R": {Licensed: 10, InGrace: 0, Assigned: 2, Available: 8},
		})
		wantSummary(t, "by PROGRAM, FAMILY in grace", e.summary(w.Key, []string{"PROGRAM", "FAMILY"}, nil, time.Time{}), map[string]summaryRow{
			"ENTERPRISE|OFFICE_365": {Licensed: 10, InGrace: 10, Assigned: 2, Available: 8},
			"ENTERPRISE|INTUNE":     {Licensed: 0, InGrace: 3, Assigned: 0, Available: 0},
		})
		// Grace ends: nothing in grace any more; a pool left with nothing shows zeros, if at all.
		after := e.summary(w.Key, []string{"SKU"}, nil, graceEnd)
		if after["O365-E3"] != (summaryRow{Licensed: 10, Assigned: 2, Available: 8}) {
			t.Fatalf("O365-E3 after grace: %s", formatRows(after))
		}
		if r, ok := after["INTUNE"]; ok && r != (summaryRow{}) {
			t.Fatalf("INTUNE after grace must be all zeros: %s", formatRows(after))
		}
		wantSummary(t, "total after grace", e.summary(w.Key, nil, nil, graceEnd), map[string]summaryRow{"": {Licensed: 10, Assigned: 2, Available: 8}})
		// The summary agrees with Account.licenses at both instants.
		for _, at := range []time.Time{{}, graceEnd} {
			lic := e.licenses(w.Key, w.AccountID, at)
			sum := e.summary(w.Key, []string{"SKU"}, map[string]any{"accountIds": []string{w.AccountID}}, at)
			for sku, l := range lic {
				r := sum[sku]
				if (licenseRow{r.Licensed, r.InGrace, r.Assigned, r.Available, r.Pending}) != l {
					t.Fatalf("asOf %v %s: summary %+v, Account.licenses %+v", at, sku, r, l)
				}
			}
		}
	})
	ruleCase(t, "R-BI-1_reserved_not_billed_until_the_anniversary", func(t *testing.T, e *env) {
		d := e.newBIFixture("Reseller", "")
		if d.BillingDate != "2027-01-01" {
			t.Fatalf("setup: the reservation is billed at the next anniversary 2027-01-01, got %q", d.BillingDate)
		}
		billing := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, tc := range []struct {
			at       time.Time
			reserved int
		}{{time.Time{}, 2}, {billing.Add(-time.Second), 2}, {billing, 0}, {billing.Add(40 * day), 0}} {
			sum := e.summary(d.Key, []string{"SKU"}, map[string]any{"skus": []string{"O365-E3"}}, tc.at)
			// Reserved licenses are licensed at once and stay licensed once billed (R-RES-1).
			if sum["O365-E3"] != (summaryRow{Licensed: 12, Reserved: tc.reserved, Assigned: 3, Available: 9}) {
				t.Fatalf("asOf %v: O365-E3 %+v, want reservedNotBilled %d of licensed 12", tc.at, sum["O365-E3"], tc.reserved)
			}
			// It agrees with the reservations the API lists as not billed.
			at := tc.at
			if at.IsZero() {
				at = t0
			}
			if n := num(e.ok(d.Key, notBilledReservationsDoc, map[string]any{"at": dateTime(at)}), "reservations", "totalCount"); (n == 1) != (tc.reserved == 2) {
				t.Fatalf("asOf %v: reservations(notBilledAsOf) lists %d, summary reservedNotBilled %d", at, n, tc.reserved)
			}
			tot := e.summary(d.Key, []string{"CUSTOMER"}, nil, tc.at)[d.C1.CustomerID]
			if tot.Reserved != tc.reserved || tot.Licensed != 21 {
				t.Fatalf("asOf %v by CUSTOMER: %+v", tc.at, tot)
			}
		}
	})
}

// The summary a key may see, page by page (R-BI-1).
func TestLicenseSummaryScopeAndPages(t *testing.T) {
	ruleCase(t, "R-BI-1_reader_key_and_reseller_isolation", func(t *testing.T, e *env) {
		a := e.newBIFixture("Reseller A", "")
		before := e.summary(a.Key, nil, nil, time.Time{})
		wantSummary(t, "A's total", before, map[string]summaryRow{"": biTotal})

		// Reseller B with the same names and domains, and more licenses.
		b := e.newBIFixture("Reseller B", "")
		e.directID(b.Key, b.C2.AccountID, "INTUNE", 50, "2027-11-22", true)
		bTotal := biTotal.add(summaryRow{Licensed: 50, Available: 50})

		reader := e.readerKey(a.ResellerID)
		for _, key := range []string{a.Key, reader} {
			wantSummary(t, "A's total after B", e.summary(key, nil, nil, time.Time{}), map[string]summaryRow{"": biTotal})
			wantSummary(t, "A by RESELLER", e.summary(key, []string{"RESELLER"}, nil, time.Time{}), map[string]summaryRow{a.ResellerID: biTotal})
			by := e.summary(key, []string{"ACCOUNT"}, nil, time.Time{})
			if len(by) != 2 || by[a.C1.AccountID].Licensed != 21 || by[a.C2.AccountID].Licensed != 9 {
				t.Fatalf("A by ACCOUNT shows other accounts: %s", formatRows(by))
			}
			// Filters on B's objects match nothing for A.
			for _, filter := range []map[string]any{
				{"resellerIds": []string{b.ResellerID}}, {"customerIds": []string{b.C1.CustomerID}}, {"accountIds": []string{b.C2.AccountID}},
				{"agreementIds": []string{b.C1.AgreementID}}, {"enrollmentIds": []string{b.C2.EnrollmentID}},
			} {
				if got := e.summary(key, []string{"SKU"}, filter, time.Time{}); len(got) != 0 {
					t.Fatalf("A filtered by B's %v: %s", filter, formatRows(got))
				}
			}
		}
		wantSummary(t, "B's total", e.summary(b.Key, nil, nil, time.Time{}), map[string]summaryRow{"": bTotal})
		wantSummary(t, "B by RESELLER (READER)", e.summary(e.readerKey(b.ResellerID), []string{"RESELLER"}, nil, time.Time{}),
			map[string]summaryRow{b.ResellerID: bTotal})
		// The operator sees both, apart.
		wantSummary(t, "operator by RESELLER", e.summary(e.Operator, []string{"RESELLER"}, nil, time.Time{}), map[string]summaryRow{
			a.ResellerID: biTotal, b.ResellerID: bTotal,
		})
		wantSummary(t, "operator filtered to A", e.summary(e.Operator, nil, map[string]any{"resellerIds": []string{a.ResellerID}}, time.Time{}),
			map[string]summaryRow{"": biTotal})
		// A READER key reads conflicts and licenses too, but writes nothing.
		if l := e.licenses(reader, a.C1.AccountID, time.Time{}); l["O365-E3"].Assigned != 3 {
			t.Fatalf("READER Account.licenses: %+v", l)
		}
		if r := e.do(reader, removeDoc, map[string]any{"a": a.C1.AccountID, "s": "O365-E3", "u": []string{"alice@fabrikam.com"}, "c": true}); r.errCode() != "FORBIDDEN" {
			t.Fatalf("removeLicenses with a READER key: %s", r.Raw)
		}
		// Without a key: UNAUTHENTICATED, no data.
		if r := e.do("", summaryDoc, map[string]any{"g": []string{"SKU"}}); r.errCode() != "UNAUTHENTICATED" || get(r.Data, "licenseSummary") != nil {
			t.Fatalf("licenseSummary without a key: %s", r.Raw)
		}
	})
	ruleCase(t, "R-BI-1_pagination_covers_every_group_once", func(t *testing.T, e *env) {
		d := e.newBIFixture("Reseller", "")
		groupBy := []string{"ACCOUNT", "SKU"}
		all := e.summary(d.Key, groupBy, nil, time.Time{})
		if len(all) != 5 {
			t.Fatalf("setup: 5 (account, SKU) groups, got %s", formatRows(all))
		}
		seen := map[string]summaryRow{}
		after, pages := "", 0
		for {
			conn := e.summaryPage(d.Key, groupBy, nil, time.Time{}, 2, after)
			pages++
			if num(conn, "totalCount") != 5 || get(conn, "pageInfo", "hasPreviousPage") != false {
				t.Fatalf("page %d: %v", pages, conn)
			}
			edges, _ := get(conn, "edges").([]any)
			if len(edges) == 0 || len(edges) > 2 {
				t.Fatalf("page %d: %d edges", pages, len(edges))
			}
			if str(conn, "pageInfo", "startCursor") != str(edges[0], "cursor") || str(conn, "pageInfo", "endCursor") != str(edges[len(edges)-1], "cursor") {
				t.Fatalf("page %d: pageInfo cursors do not match the edges: %v", pages, conn)
			}
			for _, ed := range edges {
				k := groupKey(get(ed, "node"), groupBy)
				if _, dup := seen[k]; dup {
					t.Fatalf("group %s on two pages", k)
				}
				seen[k] = summaryRowOf(get(ed, "node"))
			}
			if get(conn, "pageInfo", "hasNextPage") != true {
				break
			}
			if pages > 5 {
				t.Fatalf("pagination does not end")
			}
			after = str(conn, "pageInfo", "endCursor")
		}
		if pages != 3 || !reflect.DeepEqual(seen, all) {
			t.Fatalf("%d pages covering %s, want 3 covering %s", pages, formatRows(seen), formatRows(all))
		}
		// After the last group: an empty page, with the same totalCount.
		last := e.summaryPage(d.Key, groupBy, nil, time.Time{}, 2, after)
		end := str(last, "pageInfo", "endCursor")
		past := e.summaryPage(d.Key, groupBy, nil, time.Time{}, 2, end)
		if edges, _ := get(past, "edges").([]any); len(edges) != 0 || num(past, "totalCount") != 5 || get(past, "pageInfo", "hasNextPage") != false {
			t.Fatalf("past the last page: %v", past)
		}
		// The default page holds every group here; bad page arguments are BAD_USER_INPUT.
		if conn := e.summaryPage(d.Key, groupBy, nil, time.Time{}, 0, ""); len(get(conn, "edges").([]any)) != 5 {
			t.Fatalf("default page: %v", conn)
		}
		for _, vars := range []map[string]any{{"first": 0}, {"first": 101}, {"after": "bogus"}, {"g": []string{"SKU", "SKU"}}} {
			if vars["g"] == nil {
				vars["g"] = groupBy
			}
			if r := e.do(d.Key, summaryDoc, vars); r.errCode() != "BAD_USER_INPUT" {
				t.Fatalf("licenseSummary %v: want BAD_USER_INPUT, got %s", vars, r.Raw)
			}
		}
	})
}

// The summary computed in the database agrees with the licenses at scale (R-BI-2).
func TestLicenseSummaryOnSeededData(t *testing.T) {
	ruleCase(t, "R-BI-2_summary_matches_account_licenses_on_seeded_data", func(t *testing.T, e *env) {
		key, _ := seedLarge(t, e)
		at := t0
		// Every account of the reseller, with Account.licenses as of at.
		type acct struct {
			customer string
			lic      map[string]licenseRow
		}
		accounts := map[string]acct{}
		var after any
		for page := 0; page < 100; page++ {
			dd := e.ok(key, `query($at: DateTime, $after: String) { accounts(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor }
				edges { node { id customer { id } licenses(asOf: $at) { `+licenseSel+` } } } } }`, map[string]any{"at": dateTime(at), "after": after})
			conn := get(dd, "accounts")
			edges, _ := get(conn, "edges").([]any)
			for _, ed := range edges {
				n := get(ed, "node")
				a := acct{customer: str(n, "customer", "id"), lic: map[string]licenseRow{}}
				for _, l := range get(n, "licenses").([]any) {
					a.lic[str(l, "sku", "code")] = licenseRowOf(l)
				}
				accounts[str(n, "id")] = a
			}
			if get(conn, "pageInfo", "hasNextPage") != true {
				if num(conn, "totalCount") != len(accounts) {
					t.Fatalf("accounts: totalCount %d, listed %d", num(conn, "totalCount"), len(accounts))
				}
				break
			}
			after = str(conn, "pageInfo", "endCursor")
		}
		if len(accounts) < 20 {
			t.Fatalf("seed made only %d accounts", len(accounts))
		}

		// By (ACCOUNT, SKU): exactly the accounts' licenses, one group per (account, SKU).
		byAccSKU := e.summary(key, []string{"ACCOUNT", "SKU"}, nil, at)
		want := map[string]summaryRow{}
		wantAcc := map[string]summaryRow{}
		for id, a := range accounts {
			for sku, l := range a.lic {
				r := summaryRow{Licensed: l.Licensed, InGrace: l.InGrace, Assigned: l.Assigned, Available: l.Available}
				want[id+"|"+sku] = r
				wantAcc[id] = wantAcc[id].add(r)
			}
		}
		gotAccSKU := map[string]summaryRow{}
		var noAccount summaryRow
		for k, r := range byAccSKU {
			if strings.HasPrefix(k, "|") { // licenses of enrollments not activated: on no account
				noAccount = noAccount.add(r)
				continue
			}
			r.Reserved = 0 // Account.licenses has no reservedNotBilled
			gotAccSKU[k] = r
		}
		wantSummary(t, "summary by ACCOUNT, SKU vs Account.licenses", gotAccSKU, want)
		if noAccount.Assigned != 0 || noAccount.InGrace != 0 {
			t.Fatalf("licenses on no account have no users: %+v", noAccount)
		}

		// By ACCOUNT: each account's sums of its licenses.
		byAcc := e.summary(key, []string{"ACCOUNT"}, nil, at)
		gotAcc := map[string]summaryRow{}
		for k, r := range byAcc {
			if k == "" {
				if (summaryRow{Licensed: r.Licensed, Reserved: r.Reserved, Available: r.Available}) != r {
					t.Fatalf("the no-account group has users or grace: %+v", r)
				}
				continue
			}
			r.Reserved = 0
			gotAcc[k] = r
		}
		for id := range accounts {
			if _, ok := wantAcc[id]; !ok {
				wantAcc[id] = summaryRow{} // an account with no licenses: no group, or an empty one
				if _, ok := gotAcc[id]; !ok {
					delete(wantAcc, id)
				}
			}
		}
		wantSummary(t, "summary by ACCOUNT vs sums of Account.licenses", gotAcc, wantAcc)

		// By (CUSTOMER, ACCOUNT), which allocates users to subscriptions: per account the same.
		byCusAcc := e.summary(key, []string{"CUSTOMER", "ACCOUNT"}, nil, at)
		gotCA := map[string]summaryRow{}
		for k, r := range byCusAcc {
			cus, acc, _ := strings.Cut(k, "|")
			if acc == "" {
				continue
			}
			if accounts[acc].customer != cus {
				t.Fatalf("group %s: account %s belongs to customer %s", k, acc, accounts[acc].customer)
			}
			r.Reserved = 0
			gotCA[acc] = gotCA[acc].add(r)
		}
		wantSummary(t, "summary by CUSTOMER, ACCOUNT vs sums of Account.licenses", gotCA, wantAcc)

		// Every grouping adds up to the same total, and the data set has variety.
		total := e.summary(key, nil, nil, at)[""]
		if total.Assigned != 3000 || total.InGrace == 0 || total.Reserved == 0 || total.Licensed == 0 || total.Available == 0 {
			t.Fatalf("seeded total lacks variety: %+v", total)
		}
		for _, g := range [][]string{{"ACCOUNT"}, {"CUSTOMER"}, {"PROGRAM", "FAMILY"}, {"ENROLLMENT", "SKU"}, {"AGREEMENT"}, {"SKU"}, {"RESELLER"}} {
			var sum summaryRow
			for _, r := range e.summary(key, g, nil, at) {
				sum = sum.add(r)
			}
			if sum != total {
				t.Fatalf("by %v the groups add up to %+v, total %+v", g, sum, total)
			}
		}
		// A few accounts, filtered one by one, match their licenses.
		n := 0
		for id := range accounts {
			if n++; n > 5 {
				break
			}
			got := e.summary(key, nil, map[string]any{"accountIds": []string{id}}, at)[""]
			got.Reserved = 0
			if got != wantAcc[id] {
				t.Fatalf("summary filtered to %s: %+v, Account.licenses sums %+v", id, got, wantAcc[id])
			}
		}
	})
}
