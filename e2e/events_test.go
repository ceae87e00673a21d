package e2e

// Events of the write paths (issue 13): every topic a change records is recorded by the change
// that makes it, in the change's transaction, and read through the events connection; a
// refused change records nothing. Each subtest names the rules of the change and the topic.

import (
	"strings"
	"testing"
	"time"
)

func TestOrderEvents(t *testing.T) {
	ruleCase(t, "R-ORD-1_R-ORD-2_order.created_once_per_order", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		c := e.skipEvents(t, w.Key)
		o := e.placeOrder(w.Key, orderIn("E-1", "k1", orderLines("O365-E3", 10, "INTUNE", 5)))
		e.placeOrder(w.Key, orderIn("E-1", "k1", orderLines("O365-E3", 10, "INTUNE", 5))) // a retry returns the first order (R-ORD-2)
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "order.created")[0]
		wantData(t, ev, map[string]any{"order": str(o, "id"), "number": str(o, "number"), "status": "PLACED", "enrollment": w.EnrollmentID,
			"enrollmentNumber": "E-1", "purchaseDate": "2026-11-23", "usageStartDate": "2026-11-23",
			"lines": []any{map[string]any{"sku": "O365-E3", "quantity": 10}, map[string]any{"sku": "INTUNE", "quantity": 5}}})
		if ev.OccurredAt != dateTime(t0) {
			t.Errorf("occurredAt %s, want the request's instant %s", ev.OccurredAt, dateTime(t0))
		}
	})

	ruleCase(t, "R-ORD-1_R-ORD-5_order.processed_with_when_its_licenses_are_available", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		o := e.place(w.Key, "E-1", "k1", "2026-11-23", "2026-11-23", "O365-E3", 10)
		c := e.skipEvents(t, w.Key)
		e.SetNow(t0.Add(hour))
		e.process(str(o, "id"))
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "order.processed")[0]
		wantData(t, ev, map[string]any{"order": str(o, "id"), "status": "PROCESSED", "processedAt": dateTime(t0.Add(hour)),
			"availableAt": dateTime(t0.Add(13 * hour)), "lines": []any{map[string]any{"sku": "O365-E3", "quantity": 10}}})
	})

	ruleCase(t, "R-ORD-1_order.cancelled", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		o := e.place(w.Key, "E-1", "k1", "2026-11-23", "2026-11-23", "O365-E3", 10)
		c := e.skipEvents(t, w.Key)
		e.mutate(w.Key, cancelOrderDoc, map[string]any{"id": str(o, "id")})
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "order.cancelled")[0]
		wantData(t, ev, map[string]any{"order": str(o, "id"), "status": "CANCELLED", "cancelledAt": dateTime(t0)})
	})
}

func TestEnrollmentEvents(t *testing.T) {
	ruleCase(t, "R-ACT-9_enrollment.activated_through_its_link", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		token := e.sendToken(t, "E-1", t0)
		c := e.skipEvents(t, w.Key)
		e.SetNow(t0.Add(hour))
		e.activate(w.Key, token, w.AccountID)
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "enrollment.activated")[0]
		wantData(t, ev, map[string]any{"enrollment": w.EnrollmentID, "enrollmentNumber": "E-1", "account": w.AccountID, "cause": "LINK",
			"associatedAt": dateTime(t0.Add(hour))})
	})

	ruleCase(t, "R-ACT-2_enrollment.provisioned_when_the_OSM_domain_is_verified", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Contoso reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		c := e.skipEvents(t, w.Key)
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		evs := wantTopics(t, e.eventsAfter(t, w.Key, c), "order.created", "order.processed", "enrollment.provisioned")
		wantData(t, evs[2], map[string]any{"enrollment": w.EnrollmentID, "account": w.AccountID, "cause": "VERIFIED_DOMAIN"})
	})

	ruleCase(t, "R-ACT-13_product_key.redeemed_and_the_enrollment.activated_onto_its_account", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("OPEN_VALUE", "V1000", "OV-1")
		o := e.buyToday(w.Key, "OV-1", "o1", "O365-E3", 10, "INTUNE", 5)
		keys, _ := o["productKeys"].([]any)
		c := e.skipEvents(t, w.Key)
		e.mutate(w.Key, redeemDoc, map[string]any{"k": str(keys[0], "key"), "a": w.AccountID})
		evs := wantTopics(t, e.eventsAfter(t, w.Key, c), "enrollment.activated", "product_key.redeemed")
		wantData(t, evs[0], map[string]any{"enrollment": w.EnrollmentID, "account": w.AccountID, "cause": "PRODUCT_KEY"})
		wantData(t, evs[1], map[string]any{"order": str(o, "id"), "enrollment": w.EnrollmentID, "enrollmentNumber": "OV-1", "sku": "O365-E3",
			"quantity": 10, "account": w.AccountID, "redeemedAt": dateTime(t0)})
		// The second key lands where the enrollment already is: redeemed, no second activation.
		e.mutate(w.Key, redeemDoc, map[string]any{"k": str(keys[1], "key"), "a": w.AccountID})
		evs = append(evs, wantTopics(t, e.eventsAfter(t, w.Key, c), "product_key.redeemed")...)
		for _, ev := range evs {
			for _, k := range keys {
				if raw := rawJSON(t, ev.Data); strings.Contains(raw, str(k, "key")) {
					t.Errorf("%s carries a product key: %s", ev.Topic, raw)
				}
			}
		}
	})

	ruleCase(t, "R-ENR-4_a_support_remap_is_enrollment.activated_onto_the_new_account", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		other := e.createAccount(w.Key, w.CustomerID, "Fabrikam second tenant", "US", []string{"fabrikam-two.com"})
		c := e.skipEvents(t, w.Key)
		e.mutate(e.Operator, remapDoc, map[string]any{"n": "E-1", "a": other})
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "enrollment.activated")[0]
		wantData(t, ev, map[string]any{"enrollment": w.EnrollmentID, "account": other, "cause": "SUPPORT_REMAP"})
	})
}

func TestActivationEmailEvents(t *testing.T) {
	ruleCase(t, "R-ACT-1_activation_email.sent_when_the_server_accepted_it", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		c := e.skipEvents(t, w.Key)
		msgs := e.dispatch(t, t0.Add(hour))
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "activation_email.sent")[0]
		wantData(t, ev, map[string]any{"enrollment": w.EnrollmentID, "enrollmentNumber": "E-1", "recipient": "olivia@fabrikam.com",
			"trigger": "FIRST_ORDER", "sentAt": dateTime(t0.Add(hour))})
		if raw := rawJSON(t, ev.Data); strings.Contains(raw, tokenOf(t, msgs[0])) || strings.Contains(raw, "token") {
			t.Errorf("the event carries the activation token: %s", raw)
		}
		e.dispatch(t, t0.Add(2*hour)) // nothing more is due
		wantTopics(t, e.eventsAfter(t, w.Key, c))
	})

	ruleCase(t, "R-ACT-12_R-ACT-7_activation_email.bounced_parks_it_until_the_contact_is_fixed", func(t *testing.T, e *env) {
		srv := startSMTP(t, &smtpServer{faults: []smtpFault{faultRcptUnknown}}, nil, false)
		w := e.mailWorld("en")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		d := e.mailDispatcher(e.Store, smtpSender(t, srv), nil)
		c := e.skipEvents(t, w.Key)
		if n := e.dispatchAt(t, d, t0.Add(hour)); n != 0 {
			t.Fatalf("dispatcher says %d accepted", n)
		}
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "activation_email.bounced")[0]
		wantData(t, ev, map[string]any{"enrollmentNumber": "E-1", "recipient": "olivia@fabrikam.com", "trigger": "FIRST_ORDER"})
		reason, _ := ev.Data["reason"].(string)
		if !strings.Contains(reason, "User unknown") || strings.Contains(reason, "olivia@") {
			t.Errorf("reason %q: want the server's answer without the address", reason)
		}
		// Parked: never retried, and the API says why and what to do.
		e.dispatchAt(t, d, t0.Add(5*hour))
		if srv.Sessions() != 1 {
			t.Errorf("a bounced email was tried again: %d sessions", srv.Sessions())
		}
		ems := e.wantEmailCount(t, w.Key, "E-1", 1)
		if ems[0]["bouncedAt"] != dateTime(t0.Add(hour)) || ems[0]["sentAt"] != nil || ems[0]["lastError"] != reason {
			t.Errorf("email %v: want bouncedAt %s, no sentAt, lastError %q", ems[0], dateTime(t0.Add(hour)), reason)
		}
		st := e.activationStatus(w.Key, "E-1", t0.Add(5*hour))
		if r := reasonOf(st, "EMAIL_BOUNCED"); st.State != "BLOCKED" || r == nil || r.Action != "UPDATE_SUBSCRIPTION_CONTACT" {
			t.Fatalf("status %+v: want BLOCKED by EMAIL_BOUNCED with UPDATE_SUBSCRIPTION_CONTACT", st)
		}
		// The fix: a new contact gets a new email, which the server accepts.
		e.SetNow(t0.Add(6 * hour))
		e.updateContact(w.Key, "E-1", "Olivia", "olivia.new@fabrikam.com")
		if n := e.dispatchAt(t, d, t0.Add(6*hour)); n != 1 {
			t.Fatalf("the new contact's email: %d accepted", n)
		}
		ev = wantTopics(t, e.eventsAfter(t, w.Key, c), "activation_email.sent")[0]
		wantData(t, ev, map[string]any{"recipient": "olivia.new@fabrikam.com", "trigger": "CONTACT_UPDATED"})
		if st := e.activationStatus(w.Key, "E-1", t0.Add(7*hour)); st.State != "EMAIL_SENT" {
			t.Errorf("after the fix: %+v", st)
		}
	})
}

func TestSubscriptionEvents(t *testing.T) {
	ruleCase(t, "R-SUB-2_subscription.in_grace_for_each_old_subscription_at_renewal", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10, "INTUNE", 5)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		subs := e.subscriptionIDs(w.Key, "E-1")
		c := e.skipEvents(t, w.Key)
		e.SetNow(t0.Add(2 * day))
		p := e.renew(w.Key, "E-1", "E-2", "2026-11-25", "2029-11-24", nil)
		evs := wantTopics(t, e.eventsAfter(t, w.Key, c), "subscription.in_grace", "subscription.in_grace", "enrollment.provisioned")
		got := map[string]string{}
		for _, ev := range evs[:2] {
			got[ev.Data["sku"].(string)] = ev.Data["subscription"].(string)
			wantData(t, ev, map[string]any{"status": "IN_GRACE", "enrollmentNumber": "E-1", "graceUntil": p["graceUntil"]})
		}
		if got["O365-E3"] != subs["O365-E3"] || got["INTUNE"] != subs["INTUNE"] {
			t.Errorf("in grace: %v, want E-1's subscriptions %v", got, subs)
		}
		wantData(t, evs[2], map[string]any{"enrollmentNumber": "E-2", "account": w.AccountID, "cause": "RENEWAL"})
	})

	ruleCase(t, "R-SUB-5_subscription.renewed_by_renewSubscription", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		id := e.directID(w.Key, w.AccountID, "INTUNE", 5, "2026-11-30", false)
		e.SetNow(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
		c := e.skipEvents(t, w.Key)
		e.mutate(w.Key, renewSubscriptionDoc, map[string]any{"id": id})
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "subscription.renewed")[0]
		wantData(t, ev, map[string]any{"subscription": id, "status": "ACTIVE", "directAccount": w.AccountID, "sku": "INTUNE"})
		if ev.Data["endDate"] == "2026-11-30" {
			t.Errorf("renewed without a new term: %v", ev.Data)
		}
	})

	ruleCase(t, "R-SUB-5_setAutoRenew_expires_a_term_that_ended_and_renews_it_again", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		id := e.directID(w.Key, w.AccountID, "INTUNE", 5, "2026-11-30", true)
		c := e.skipEvents(t, w.Key)
		autoRenew := func(on bool) { e.mutate(w.Key, setAutoRenewDoc, map[string]any{"id": id, "on": on}) }
		autoRenew(false) // inside its term: still ACTIVE, nothing happened to a partner
		autoRenew(true)
		wantTopics(t, e.eventsAfter(t, w.Key, c))
		e.SetNow(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
		autoRenew(false)
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "subscription.expired")[0]
		wantData(t, ev, map[string]any{"subscription": id, "status": "EXPIRED", "cause": "END_OF_TERM"})
		autoRenew(true)
		ev = wantTopics(t, e.eventsAfter(t, w.Key, c), "subscription.renewed")[0]
		wantData(t, ev, map[string]any{"subscription": id, "status": "ACTIVE"})
	})

	ruleCase(t, "R-SUB-6_subscription.expired_when_cancelled_and_only_the_first_time", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("OPEN_VALUE", "V1000", "OV-1")
		e.buyToday(w.Key, "OV-1", "o1", "O365-E3", 10)
		id := e.subscriptionIDs(w.Key, "OV-1")["O365-E3"]
		c := e.skipEvents(t, w.Key)
		e.mutate(w.Key, cancelSubscriptionDoc, map[string]any{"id": id})
		e.mutate(w.Key, cancelSubscriptionDoc, map[string]any{"id": id}) // cancelling twice keeps the first
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "subscription.expired")[0]
		wantData(t, ev, map[string]any{"subscription": id, "status": "EXPIRED", "cause": "CANCELLED", "enrollmentNumber": "OV-1"})
	})
}

// conflictWorld is fabrikamWorld with users carol and dave too, and INTUNE bought directly in
// the quantity given, assigned to all four users.
func (e *env) conflictWorld(quantity int) (world, string) {
	e.t.Helper()
	w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
	e.addUsers(w.Key, w.AccountID, "carol@fabrikam-tenant.com", "dave@fabrikam-tenant.com")
	id := e.directID(w.Key, w.AccountID, "INTUNE", quantity, "2027-12-31", false)
	e.assign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam-tenant.com", "bob@fabrikam-tenant.com", "carol@fabrikam-tenant.com", "dave@fabrikam-tenant.com")
	return w, id
}

func TestConflictEvents(t *testing.T) {
	ruleCase(t, "R-LIC-6_R-LIC-2_license_conflict.opened_by_lowering_and_resolved_by_buying_more", func(t *testing.T, e *env) {
		w, id := e.conflictWorld(4)
		c := e.skipEvents(t, w.Key)
		if r := e.setQuantity(w.Key, id, 2, true); r.errCode() != "" {
			t.Fatalf("lowering: %s", r.Raw)
		}
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "license_conflict.opened")[0]
		wantData(t, ev, map[string]any{"account": w.AccountID, "sku": "INTUNE", "licensed": 2, "inGrace": 0, "assigned": 4, "deficit": 2})
		e.setQuantity(w.Key, id, 3, nil) // still one short: no event
		wantTopics(t, e.eventsAfter(t, w.Key, c))
		e.setQuantity(w.Key, id, 4, nil)
		ev = wantTopics(t, e.eventsAfter(t, w.Key, c), "license_conflict.resolved")[0]
		wantData(t, ev, map[string]any{"account": w.AccountID, "sku": "INTUNE", "licensed": 4, "assigned": 4, "deficit": 0})
	})

	ruleCase(t, "R-LIC-5_R-LIC-2_removing_licenses_and_deleting_a_user_resolve_a_conflict", func(t *testing.T, e *env) {
		w, id := e.conflictWorld(4)
		e.setQuantity(w.Key, id, 2, true)
		c := e.skipEvents(t, w.Key)
		e.mutate(w.Key, removeDoc, map[string]any{"a": w.AccountID, "s": "INTUNE", "u": []string{"alice@fabrikam-tenant.com"}, "c": true})
		wantTopics(t, e.eventsAfter(t, w.Key, c)) // 3 assigned on 2: still in conflict
		e.mutate(w.Key, deleteUserDoc, map[string]any{"a": w.AccountID, "u": "bob@fabrikam-tenant.com"})
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "license_conflict.resolved")[0]
		wantData(t, ev, map[string]any{"sku": "INTUNE", "licensed": 2, "assigned": 2, "deficit": 0})
	})

	ruleCase(t, "R-SUB-5_R-LIC-3_an_expired_subscription_renewed_resolves_and_expiring_again_opens", func(t *testing.T, e *env) {
		w, id := e.conflictWorld(4)
		e.mutate(w.Key, setAutoRenewDoc, map[string]any{"id": id, "on": true})
		e.SetNow(time.Date(2028, 1, 5, 9, 0, 0, 0, time.UTC)) // past its end date, auto-renew on: ACTIVE
		c := e.skipEvents(t, w.Key)
		e.mutate(w.Key, setAutoRenewDoc, map[string]any{"id": id, "on": false})
		evs := wantTopics(t, e.eventsAfter(t, w.Key, c), "subscription.expired", "license_conflict.opened")
		wantData(t, evs[1], map[string]any{"sku": "INTUNE", "licensed": 0, "assigned": 4, "deficit": 4})
		e.mutate(w.Key, renewSubscriptionDoc, map[string]any{"id": id})
		wantTopics(t, e.eventsAfter(t, w.Key, c), "subscription.renewed", "license_conflict.resolved")
	})

	ruleCase(t, "R-SUB-6_R-LIC-2_cancelling_opens_a_conflict_and_a_direct_purchase_resolves_it", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("OPEN_VALUE", "V1000", "OV-1")
		o := e.buyToday(w.Key, "OV-1", "o1", "O365-E3", 2)
		keys, _ := o["productKeys"].([]any)
		e.mutate(w.Key, redeemDoc, map[string]any{"k": str(keys[0], "key"), "a": w.AccountID})
		e.SetNow(t0.Add(13 * hour)) // no longer pending (R-ORD-5)
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam-tenant.com", "bob@fabrikam-tenant.com")
		c := e.skipEvents(t, w.Key)
		e.mutate(w.Key, cancelSubscriptionDoc, map[string]any{"id": e.subscriptionIDs(w.Key, "OV-1")["O365-E3"]})
		evs := wantTopics(t, e.eventsAfter(t, w.Key, c), "subscription.expired", "license_conflict.opened")
		wantData(t, evs[1], map[string]any{"account": w.AccountID, "sku": "O365-E3", "licensed": 0, "assigned": 2, "deficit": 2})
		e.direct(w.Key, w.AccountID, "O365-E3", 2, "2027-12-31", true)
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "license_conflict.resolved")[0]
		wantData(t, ev, map[string]any{"sku": "O365-E3", "licensed": 2, "assigned": 2})
	})

	ruleCase(t, "R-ENR-4_R-LIC-2_a_remap_opens_a_conflict_on_the_old_account_and_resolves_one_on_the_new", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 2)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.SetNow(t0.Add(13 * hour))
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam-tenant.com", "bob@fabrikam-tenant.com")
		other := e.createAccount(w.Key, w.CustomerID, "Fabrikam second tenant", "US", []string{"fabrikam-two.com"})
		e.addUsers(w.Key, other, "erin@fabrikam-two.com", "finn@fabrikam-two.com")
		id := e.directID(w.Key, other, "O365-E3", 2, "2027-12-31", true)
		e.assign(w.Key, other, "O365-E3", "erin@fabrikam-two.com", "finn@fabrikam-two.com")
		e.setQuantity(w.Key, id, 1, true)
		c := e.skipEvents(t, w.Key)
		e.mutate(e.Operator, remapDoc, map[string]any{"n": "E-1", "a": other})
		evs := wantTopics(t, e.eventsAfter(t, w.Key, c), "enrollment.activated", "license_conflict.opened", "license_conflict.resolved")
		wantData(t, evs[1], map[string]any{"account": w.AccountID, "sku": "O365-E3", "licensed": 0, "assigned": 2, "deficit": 2})
		wantData(t, evs[2], map[string]any{"account": other, "sku": "O365-E3", "licensed": 3, "assigned": 2, "deficit": 0})
	})

	ruleCase(t, "R-RES-1_R-LIC-2_licenses_reserved_at_once_resolve_a_conflict", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "ENR-1")
		e.buyToday(w.Key, "ENR-1", "o1", "O365-E3", 2)
		e.activate(w.Key, e.sendToken(t, "ENR-1", t0), w.AccountID)
		e.SetNow(t0.Add(13 * hour))
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam-tenant.com")
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam-tenant.com", "bob@fabrikam-tenant.com")
		e.setQuantity(w.Key, e.subscriptionIDs(w.Key, "ENR-1")["O365-E3"], 1, true)
		c := e.skipEvents(t, w.Key)
		e.reserve(w.Key, reservationIn("ENR-1", "O365-E3", 3, "vic@fabrikam.com", "r1"))
		ev := wantTopics(t, e.eventsAfter(t, w.Key, c), "license_conflict.resolved")[0]
		wantData(t, ev, map[string]any{"sku": "O365-E3", "licensed": 4, "assigned": 2})
	})
}

// A change refused by a rule rolls back, and records no event.
func TestRefusalsRecordNoEvent(t *testing.T) {
	ruleCase(t, "R-LIC-6_a_lowering_refused_below_assigned_records_nothing", func(t *testing.T, e *env) {
		w, id := e.conflictWorld(4)
		c := e.skipEvents(t, w.Key)
		hasCode(t, userErrorsOf(t, e.setQuantity(w.Key, id, 2, nil)), "BELOW_ASSIGNED")
		wantTopics(t, e.eventsAfter(t, w.Key, c))
	})

	ruleCase(t, "R-ORD-1_refused_orders_processing_and_cancelling_record_nothing", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		o := e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		c := e.skipEvents(t, w.Key)
		e.refused(w.Key, createOrderDoc, vars(orderIn("E-1", "o2", orderLines("NO-SUCH-SKU", 1))))
		e.refused(w.Key, createOrderDoc, vars(orderIn("E-1", "o1", orderLines("O365-E3", 11)))) // the key, with other content (R-ORD-2)
		e.refused(e.Operator, processOrderDoc, map[string]any{"id": str(o, "id")})
		e.refused(w.Key, cancelOrderDoc, map[string]any{"id": str(o, "id")})
		wantTopics(t, e.eventsAfter(t, w.Key, c))
	})

	ruleCase(t, "R-SUB-6_a_refused_cancellation_records_nothing", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		e.buyToday(w.Key, "E-1", "o1", "O365-E3", 10)
		c := e.skipEvents(t, w.Key)
		e.refused(w.Key, cancelSubscriptionDoc, map[string]any{"id": e.subscriptionIDs(w.Key, "E-1")["O365-E3"]})
		wantTopics(t, e.eventsAfter(t, w.Key, c))
	})
}
