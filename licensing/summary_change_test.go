package licensing

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// Between asOf and NextSummaryChange a pool's summary cell does not move, and it
// may move right at that instant (the bound is the first such instant, not a later one).
func TestNextSummaryChangeBoundsTheCell(t *testing.T) {
	base := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	rnd := rand.New(rand.NewPCG(7, 7))
	at := func() time.Time { return base.Add(time.Duration(rnd.IntN(40*24*3600)-20*24*3600) * time.Second) }
	for n := 0; n < 500; n++ {
		var h SKUHoldings
		var billing []Date
		for i := rnd.IntN(4); i >= 0; i-- {
			s := HeldSubscription{ID: int64(i), Quantity: rnd.IntN(6), Term: SubscriptionTerm{EndDate: DateOf(at()), AutoRenew: rnd.IntN(2) == 0}}
			if rnd.IntN(4) == 0 {
				c := at()
				s.Term.CancelledAt = &c
			}
			if rnd.IntN(4) == 0 {
				g, u := at(), at()
				if u.Before(g) {
					g, u = u, g
				}
				s.Term.GraceFrom, s.Term.GraceUntil = &g, &u
			}
			for j := rnd.IntN(3); j > 0; j-- {
				s.Changes = append(s.Changes, QuantityChange{Delta: rnd.IntN(3), EffectiveAt: at(), FromOrder: rnd.IntN(2) == 0})
			}
			if rnd.IntN(3) == 0 {
				d := DateOf(at())
				billing = append(billing, d)
				if NotYetBilled(d, base) {
					s.ReservedNotBilled = rnd.IntN(3)
				}
			}
			h.Subscriptions = append(h.Subscriptions, s)
		}
		next, ok := NextSummaryChange(h.Subscriptions, billing, base)
		cell := SummaryCellAt(h, base)
		end := base.Add(30 * 24 * time.Hour)
		if ok {
			end = next
		}
		for tm := base; tm.Before(end); tm = tm.Add(17 * time.Minute) {
			if got := SummaryCellAt(h, tm); !reflect.DeepEqual(got, cell) {
				t.Fatalf("case %d: the cell moved at %s before the next change %s (ok %v): %+v, was %+v", n, tm, next, ok, got, cell)
			}
		}
		if ok && !next.After(base) {
			t.Fatalf("case %d: next change %s not after %s", n, next, base)
		}
	}
}
