package models

import (
	"context"
	"testing"
)

// R-BI-2: the seed makes what it says, and the summary of a seeded store agrees with the
// conflict list and the seed's own plan.
func TestSeedSmall(t *testing.T) {
	t.Run("R-BI-2_seed_and_summary_agree", func(t *testing.T) {
		s := concurrentStore(t)
		ctx := context.Background()
		var lines []string
		rep, err := Seed(ctx, s, SeedOptions{Resellers: 2, Subscriptions: 400, Assignments: 5000, BatchSize: 300, Now: testNow, RandSeed: 7,
			Progress: func(m string) { lines = append(lines, m) }})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows["license_assignments"] != 5000 || rep.Rows["subscriptions"] < 400 || len(rep.Phases) != 3 || len(lines) < 3 {
			t.Fatalf("seed report: %+v %v", rep, lines)
		}
		checkPools(t, s)
		op := Caller{Role: RoleOperator}
		r, err := s.LicenseSummary(ctx, op, nil, SummaryFilter{}, testNow, SummaryPage{First: 1})
		if err != nil || len(r.Groups) != 1 {
			t.Fatalf("summary: %+v %v", r, err)
		}
		tot := r.Groups[0]
		if tot.Assigned != 5000 || tot.InGrace == 0 || tot.ReservedNotBilled == 0 || tot.Unassignable == 0 || tot.Available() == 0 {
			t.Fatalf("seeded totals lack variety: %+v", tot.SummaryRow)
		}
		l, err := s.AccountsWithConflicts(ctx, op, testNow, Page{First: 1})
		if err != nil || l.Total != int64(rep.ConflictAccounts) || l.Total == 0 {
			t.Fatalf("conflict accounts: %d (%v), seed planned %d", l.Total, err, rep.ConflictAccounts)
		}
		h, err := s.AccountHoldings(ctx, op, rep.LargestAccountID)
		if err != nil || len(h) == 0 {
			t.Fatalf("largest account: %v %v", h, err)
		}
	})
}
