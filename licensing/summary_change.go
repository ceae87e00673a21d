package licensing

import "time"

// NextSummaryChange is, for the license summary's rollup (R-BI-1, R-BI-2), the first instant
// after asOf at which SummaryCellAt of a pool holding subs (their reservations billed on
// billingDates) may change with no write to the pool: a cancellation taking effect (R-SUB-6), grace starting at a renewal (R-SUB-2) or
// ending (R-SUB-3), a term ending with auto-renew off (R-SUB-5), licenses becoming available
// (R-ORD-5, QuantityChange.AvailableAt), a reservation billed (R-RES-1, NotYetBilled). Between
// asOf and that instant every status, pending part and unbilled reservation stays as it is, so
// the pool's summary cells computed at asOf hold. ok is false when nothing is due.
func NextSummaryChange(subs []HeldSubscription, billingDates []Date, asOf time.Time) (next time.Time, ok bool) {
	consider := func(t time.Time) {
		if t.After(asOf) && (!ok || t.Before(next)) {
			next, ok = t, true
		}
	}
	for _, s := range subs {
		t := s.Term
		for _, p := range []*time.Time{t.CancelledAt, t.GraceFrom, t.GraceUntil} {
			if p != nil {
				consider(*p)
			}
		}
		if !t.EndDate.IsZero() && !t.AutoRenew {
			consider(t.EndDate.AddDays(1).Start())
		}
		for _, c := range s.Changes {
			if c.Delta > 0 {
				consider(c.AvailableAt())
			}
		}
	}
	for _, d := range billingDates {
		if !d.IsZero() {
			consider(d.Start())
		}
	}
	return next, ok
}
