package e2e

import (
	"context"
	"testing"
	"time"
)

// R-SUB-3: the sweep deprovisions subscriptions whose grace period ended and deletes the
// licenses their users no longer have; before the end it changes nothing.
func TestDeprovisioningSweep(t *testing.T) {
	licCase(t, "R-SUB-3_sweep_deletes_licenses_at_grace_end", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		e.licBuy(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 4, "INTUNE", 2)
		e.licAssign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		e.licAssign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com")
		// Renewed onto E5 for Office, Intune renewed as it was.
		p := e.mutate(w.Key, licRenewEnrDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22", "lines": []any{
				map[string]any{"sku": "O365-E5", "quantity": 4}, map[string]any{"sku": "INTUNE", "quantity": 2}}}})
		graceEnd, err := time.Parse(time.RFC3339Nano, str(p, "graceUntil"))
		if err != nil {
			t.Fatalf("graceUntil: %v", err)
		}
		ctx := context.Background()
		if n, err := e.Store.SweepDeprovisioned(ctx, graceEnd.Add(-time.Second), 100); err != nil || n != 0 {
			t.Fatalf("before the grace end the sweep deprovisioned %d (%v), want 0", n, err)
		}
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, graceEnd), "O365-E3", licLic{Assigned: 3})
		if n, err := e.Store.SweepDeprovisioned(ctx, graceEnd, 100); err != nil || n != 2 {
			t.Fatalf("at the grace end the sweep deprovisioned %d (%v), want the 2 old subscriptions", n, err)
		}
		lic := e.licLicenses(w.Key, w.AccountID, graceEnd)
		// E3 users lost their licenses (the data is deleted); Intune carried over and stays.
		licWantLic(t, lic, "O365-E3", licLic{Assigned: 0})
		licWantLic(t, lic, "INTUNE", licLic{Licensed: 2, Assigned: 1, Available: 1})
		if cs := e.licConflicts(w.Key, w.AccountID, graceEnd); len(cs) != 0 {
			t.Fatalf("after deprovisioning no conflict remains: %+v", cs)
		}
		// A second sweep finds nothing left to do.
		if n, err := e.Store.SweepDeprovisioned(ctx, graceEnd.Add(time.Hour), 100); err != nil || n != 0 {
			t.Fatalf("second sweep deprovisioned %d (%v), want 0", n, err)
		}
	})
}
