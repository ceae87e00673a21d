package models

import (
	"context"
	mrand "math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The sweep finds the subscriptions to deprovision with graceEndedSQL; the rule is
// licensing.SubscriptionTerm.GraceEndedBy. On random subscriptions (some already deprovisioned)
// and at every boundary of their terms, the SQL selects exactly those the rule names.
func TestSweepFindsWhatTheRuleSays(t *testing.T) {
	ctx := context.Background()
	forRandomSeeds(t, "R-SUB-3_random_data", 7, func(t *testing.T, s *Store, rnd *mrand.Rand) {
		w := newRandomWorld(t, s, rnd)
		deprovisioned := map[int64]bool{}
		for _, sub := range w.subs {
			if sub.GraceUntil != nil && rnd.IntN(3) == 0 {
				if err := s.ctx(ctx).Model(&Subscription{}).Where("id = ?", sub.ID).Update("deprovisioned_at", *sub.GraceUntil).Error; err != nil {
					t.Fatal(err)
				}
				deprovisioned[sub.ID] = true
			}
		}
		instants := append(slices.Clone(w.instants), testNow)
		for _, at := range instants {
			for _, asOf := range []time.Time{at, at.Add(-time.Microsecond)} {
				var got []int64
				if err := s.ctx(ctx).Model(&Subscription{}).Where(graceEndedSQL, asOf).Where("reseller_id IN ?", w.resellers).
					Order("id").Pluck("id", &got).Error; err != nil {
					t.Fatal(err)
				}
				var want []int64
				for _, sub := range w.subs {
					if sub.Term().GraceEndedBy(asOf) && !deprovisioned[sub.ID] {
						want = append(want, sub.ID)
					}
				}
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("as of %s the sweep finds %v, the rule says %v", asOf, got, want)
				}
			}
		}
	})
}
