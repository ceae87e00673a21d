package models

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// The summary's rollup (cells.go) against the slow path and the rules' reference (R-BI-1,
// R-BI-2), on histories made of random Store writes: orders and their processing,
// reservations, assignments and removals, quantity changes, renewals, cancellations,
// activations and remaps, direct purchases, deleted users, the deprovisioning sweep, and time
// passing (pending licenses becoming available, terms ending, grace ending, reservations billed).

var historySKUs = []string{"O365-E3", "O365-E5", "M365-E3", "INTUNE", "D365-SALES-PRO"}

// cellsHistory is one random history on a store: its reseller and what the writes pick from.
type cellsHistory struct {
	s           *Store
	rnd         *mrand.Rand
	now         time.Time
	c, op       Caller
	reseller    int64
	accounts    []int64
	enrollments []string // numbers
	users       map[int64][]string
	keys        int
	done        map[int]int // successful writes by kind (step's op)
	prefix      string      // of idempotency keys: one per writer
	skus        []string    // the SKUs written
}

func newCellsHistory(t *testing.T, s *Store, rnd *mrand.Rand) *cellsHistory {
	t.Helper()
	ctx := context.Background()
	h := &cellsHistory{s: s, rnd: rnd, now: testNow, op: Caller{Role: RoleOperator}, users: map[int64][]string{}, done: map[int]int{}, skus: historySKUs}
	r, err := s.CreateReseller(ctx, licensing.ResellerDraft{Name: fmt.Sprint("R", newID())}, h.now)
	must(t, err)
	h.reseller, h.c = r.ID, Caller{Role: RoleReseller, ResellerID: r.ID}
	for i := 0; i < 2; i++ {
		cu, err := s.CreateCustomer(ctx, h.c, nil, licensing.CustomerDraft{OrganizationName: fmt.Sprint("Org", i), Country: "US"}, h.now)
		must(t, err)
		for n := 0; n < 2; n++ {
			users := []licensing.UserDraft{}
			for u := rnd.IntN(6); u > 0; u-- {
				users = append(users, licensing.UserDraft{UserName: fmt.Sprintf("u%d@a%d-%d.example", u, i, n), DisplayName: "U"})
			}
			a, err := s.CreateAccount(ctx, h.c, cu.ID, licensing.AccountDraft{Name: fmt.Sprint("Acc", i, n), Country: "US", Users: users}, h.now)
			must(t, err)
			h.accounts = append(h.accounts, a.ID)
			for _, u := range users {
				h.users[a.ID] = append(h.users[a.ID], u.UserName)
			}
		}
		// An anniversary within the history: reservations get billed during it (R-RES-1).
		ag, err := s.CreateAgreement(ctx, h.c, cu.ID, licensing.AgreementDraft{Program: "ENTERPRISE", Number: fmt.Sprint("EA-", newID()),
			StartDate: licensing.NewDate(2026, 1, 1), AnniversaryDate: licensing.DateOf(h.now).AddDays(10 + rnd.IntN(20)), Contacts: []licensing.ContactDraft{
				{Name: "Vic", Email: "vic@org.example", Roles: []licensing.ContactRole{licensing.RoleVLSCAdministrator}}}}, h.now)
		must(t, err)
		for n := 0; n < 2; n++ {
			h.newEnrollment(t, ag.ID)
		}
	}
	return h
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newEnrollment creates an enrollment ending within the history or long after, with an
// activation link whose token is its number.
func (h *cellsHistory) newEnrollment(t *testing.T, agreementID int64) {
	t.Helper()
	end := licensing.NewDate(2028, 12, 31)
	if h.rnd.IntN(2) == 0 {
		end = licensing.DateOf(h.now).AddDays(5 + h.rnd.IntN(40))
	}
	number := fmt.Sprint("ENR-", newID())
	e, err := h.s.CreateEnrollment(context.Background(), h.c, agreementID, licensing.EnrollmentDraft{Number: number, OrganizationName: "Org",
		OSMName: "Olivia", OSMEmail: "olivia@org.example", StartDate: licensing.NewDate(2026, 1, 1), EndDate: end}, h.now)
	must(t, err)
	create(t, h.s, &ActivationLink{ID: newID(), ResellerID: h.reseller, EnrollmentID: e.ID, TokenHash: hashToken(number), CreatedAt: h.now})
	h.enrollments = append(h.enrollments, e.Number)
}

func (h *cellsHistory) pick(xs []string) string { return xs[h.rnd.IntN(len(xs))] }
func (h *cellsHistory) account() int64          { return h.accounts[h.rnd.IntN(len(h.accounts))] }
func (h *cellsHistory) key() string             { h.keys++; return fmt.Sprint("k", h.prefix, "-", h.keys) }

// skuOn picks a SKU the account holds a subscription of, mostly (any SKU otherwise).
func (h *cellsHistory) skuOn(t *testing.T, acc int64) string {
	subs, err := h.s.accountSubscriptions(context.Background(), h.reseller, acc, nil)
	must(t, err)
	if len(subs) == 0 || h.rnd.IntN(5) == 0 || len(h.skus) == 1 {
		return h.pick(h.skus)
	}
	return subs[h.rnd.IntN(len(subs))].SKU
}

// subscription picks one of the reseller's subscriptions, 0 for none.
func (h *cellsHistory) subscription(t *testing.T) int64 {
	var ids []int64
	must(t, h.s.db.Model(&Subscription{}).Where("reseller_id = ?", h.reseller).Order("id").Pluck("id", &ids).Error)
	if len(ids) == 0 {
		return 0
	}
	return ids[h.rnd.IntN(len(ids))]
}

// step makes one random write at h.now; a refusal (licensing.Problems) is a possible outcome,
// any other error fails the test.
func (h *cellsHistory) step(t *testing.T) {
	t.Helper()
	if err := h.write(t); err != nil {
		t.Fatalf("write at %s: %v", h.now, err)
	}
}

// write makes one random write; it returns an error that is not a refusal.
func (h *cellsHistory) write(t *testing.T) error {
	ctx := context.Background()
	var err error
	op := h.rnd.IntN(14)
	switch op {
	case 0, 1, 2:
		err = h.order(ctx)
	case 3:
		err = h.reserve(ctx)
	case 4, 5:
		acc := h.account()
		if len(h.users[acc]) > 0 {
			_, err = h.s.AssignLicenses(ctx, h.c, acc, h.skuOn(t, acc), []string{h.pick(h.users[acc])}, h.now)
		}
	case 6:
		acc := h.account()
		if len(h.users[acc]) > 0 {
			_, err = h.s.RemoveLicenses(ctx, h.c, acc, h.pick(h.skus), []string{h.pick(h.users[acc])}, true, h.now)
		}
	case 7:
		if id := h.subscription(t); id != 0 {
			_, err = h.s.SetSubscriptionQuantity(ctx, h.c, id, h.rnd.IntN(6), true, h.now)
		}
	case 8:
		if id := h.subscription(t); id != 0 {
			switch h.rnd.IntN(3) {
			case 0:
				_, err = h.s.SetAutoRenew(ctx, h.c, id, h.rnd.IntN(2) == 0, h.now)
			case 1:
				_, err = h.s.RenewSubscription(ctx, h.c, id, h.now)
			default:
				_, err = h.s.CancelSubscription(ctx, h.op, id, h.now)
			}
		}
	case 9:
		err = h.activate(ctx)
	case 10:
		err = h.renew(ctx)
	case 11:
		_, err = h.s.CreateDirectSubscription(ctx, h.c, DirectSubscriptionRequest{AccountID: h.account(), SKU: h.pick(h.skus), Quantity: 1 + h.rnd.IntN(4),
			EndDate: licensing.DateOf(h.now).AddDays(h.rnd.IntN(40)), AutoRenew: h.rnd.IntN(2) == 0}, h.now)
	case 12:
		acc := h.account()
		if len(h.users[acc]) > 0 {
			_, err = h.s.DeleteAccountUser(ctx, h.c, acc, h.pick(h.users[acc]), h.now)
		}
	default:
		_, err = h.s.SweepDeprovisioned(ctx, h.now, 100)
	}
	var ps licensing.Problems
	if err != nil && !errors.As(err, &ps) {
		return err
	}
	if err == nil {
		h.done[op]++
	}
	return nil
}

// order places and mostly processes an order of one or two SKUs.
func (h *cellsHistory) order(ctx context.Context) error {
	d := licensing.DateOf(h.now)
	lines := []licensing.OrderLineDraft{{SKU: h.pick(h.skus), Quantity: 1 + h.rnd.IntN(5)}}
	if h.rnd.IntN(2) == 0 {
		if sku := h.pick(h.skus); sku != lines[0].SKU {
			lines = append(lines, licensing.OrderLineDraft{SKU: sku, Quantity: 1 + h.rnd.IntN(3)})
		}
	}
	o, err := h.s.CreateOrder(ctx, h.c, licensing.OrderDraft{EnrollmentNumber: h.pick(h.enrollments), Lines: lines, PurchaseDate: d, UsageStartDate: d, IdempotencyKey: h.key()}, h.now)
	if err != nil || h.rnd.IntN(5) == 0 {
		return err
	}
	_, err = h.s.ProcessOrder(ctx, h.c, o.ID, h.now)
	return err
}

func (h *cellsHistory) reserve(ctx context.Context) error {
	_, err := h.s.CreateReservation(ctx, h.c, licensing.ReservationDraft{EnrollmentNumber: h.pick(h.enrollments), SKU: h.pick(h.skus),
		Quantity: 1 + h.rnd.IntN(3), ContactEmail: "vic@org.example", IdempotencyKey: h.key()}, h.now)
	return err
}

// activate puts an enrollment on an account: through its link, or support's remap.
func (h *cellsHistory) activate(ctx context.Context) error {
	number, acc := h.pick(h.enrollments), h.account()
	if h.rnd.IntN(3) == 0 {
		_, err := h.s.RemapEnrollment(ctx, h.op, number, acc, h.now)
		return err
	}
	_, err := h.s.ActivateEnrollment(ctx, h.c, ActivationRequest{Token: number, AccountID: &acc}, h.now)
	return err
}

// renew renews an enrollment into a new one starting within days, in grace for days or weeks.
func (h *cellsHistory) renew(ctx context.Context) error {
	start := licensing.DateOf(h.now).AddDays(h.rnd.IntN(5))
	number := fmt.Sprint("ENR-", newID())
	r, err := h.s.RenewEnrollment(ctx, h.c, RenewalRequest{EnrollmentNumber: h.pick(h.enrollments), NewNumber: number, StartDate: start, EndDate: start.AddDays(365),
		Lines: []licensing.OrderLineDraft{{SKU: h.pick(h.skus), Quantity: 1 + h.rnd.IntN(4)}}}, time.Duration(1+h.rnd.IntN(20))*24*time.Hour, h.now)
	if err != nil {
		return err
	}
	h.enrollments = append(h.enrollments, r.New.Number)
	return h.s.ctx(ctx).Create(&ActivationLink{ID: newID(), ResellerID: h.reseller, EnrollmentID: r.New.ID, TokenHash: hashToken(r.New.Number), CreatedAt: h.now}).Error
}

// loadWorld reads a reseller's facts back into a randomWorld, for its reference cells.
func loadWorld(t *testing.T, s *Store, reseller int64) *randomWorld {
	t.Helper()
	w := &randomWorld{resellers: []int64{reseller}, agreements: map[int64]Agreement{}, enrollments: map[int64]Enrollment{}, accounts: map[int64]Account{},
		users: map[int64]AccountUser{}, reserved: map[int64][]Reservation{}, changes: map[int64][]licensing.QuantityChange{}}
	q := func(dest any) { must(t, s.db.Where("reseller_id = ?", reseller).Order("id").Find(dest).Error) }
	var ags []Agreement
	var es []Enrollment
	var as []Account
	var us []AccountUser
	var rs []Reservation
	var chs []SubscriptionChange
	q(&ags)
	q(&es)
	q(&as)
	q(&us)
	q(&w.subs)
	q(&rs)
	q(&chs)
	q(&w.assignments)
	for _, x := range ags {
		w.agreements[x.ID] = x
	}
	for _, x := range es {
		w.enrollments[x.ID] = x
	}
	for _, x := range as {
		w.accounts[x.ID] = x
	}
	for _, x := range us {
		w.users[x.ID] = x
	}
	for _, x := range rs {
		w.reserved[x.SubscriptionID] = append(w.reserved[x.SubscriptionID], x)
	}
	slices.SortStableFunc(chs, func(a, b SubscriptionChange) int { return a.EffectiveAt.Compare(b.EffectiveAt) })
	for _, ch := range chs {
		if ch.Delta > 0 {
			w.changes[ch.SubscriptionID] = append(w.changes[ch.SubscriptionID], licensing.QuantityChange{Delta: ch.Delta, EffectiveAt: ch.EffectiveAt, FromOrder: ch.Cause == CauseOrder})
		}
	}
	return w
}

// cellGroupings are the groupings the rollup is compared on: none, each dimension, pairs, all.
func cellGroupings() [][]licensing.SummaryDimension {
	out := [][]licensing.SummaryDimension{nil, licensing.SummaryDimensions, {licensing.SummaryByCustomer, licensing.SummaryBySKU},
		{licensing.SummaryByAccount, licensing.SummaryBySKU}, {licensing.SummaryByProgram, licensing.SummaryByFamily}, {licensing.SummaryByEnrollment, licensing.SummaryByAccount}}
	for _, d := range licensing.SummaryDimensions {
		out = append(out, []licensing.SummaryDimension{d})
	}
	return out
}

// rollupGroups is the whole summary read from the rollup, which must be usable at asOf.
func rollupGroups(t *testing.T, s *Store, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time) []licensing.SummaryGroup {
	t.Helper()
	ctx := context.Background()
	ok, err := s.cellsUsable(ctx, c, f, asOf)
	must(t, err)
	if !ok {
		t.Fatalf("the rollup is not usable as of %s", asOf)
	}
	r, err := s.summaryFromCells(ctx, c, groupBy, f, asOf, SummaryPage{First: 100000})
	must(t, err)
	if r.TotalGroups != len(r.Groups) || r.HasNext {
		t.Fatalf("rollup %v: total %d, %d groups, hasNext %v", groupBy, r.TotalGroups, len(r.Groups), r.HasNext)
	}
	out := make([]licensing.SummaryGroup, len(r.Groups))
	for i, g := range r.Groups {
		out[i] = licensing.SummaryGroup{Keys: g.Keys(groupBy), Row: g.SummaryRow}
	}
	return out
}

// compare checks, at h.now after the sweep, the rollup against the slow path and the rules'
// reference for every grouping, a filter on each dimension, the reseller's own scope, and
// CheckLicenseCells.
func (h *cellsHistory) compare(t *testing.T, what string) {
	t.Helper()
	ctx := context.Background()
	if _, err := h.s.SweepLicenseCells(ctx, h.now, 100000); err != nil {
		t.Fatal(err)
	}
	only := SummaryFilter{ResellerIDs: []int64{h.reseller}}
	cells := loadWorld(t, h.s, h.reseller).subscriptionCells(t, h.now)
	for _, g := range cellGroupings() {
		want := licensing.Summarize(cells, g, nil)
		sameGroups(t, fmt.Sprintf("%s: slow path by %v", what, g), summaryAll(t, h.s, h.op, g, only, h.now), want)
		sameGroups(t, fmt.Sprintf("%s: rollup by %v", what, g), rollupGroups(t, h.s, h.op, g, only, h.now), want)
		h.samePages(t, fmt.Sprintf("%s: rollup pages by %v", what, g), g, only)
	}
	for _, d := range licensing.SummaryDimensions {
		if len(cells) == 0 {
			break
		}
		v := cells[h.rnd.IntN(len(cells))].Keys[d]
		if v == "" {
			continue
		}
		f := only
		setFilter(&f, d, v)
		// By SKU and enrollment from the cells; by program and family, and by account and SKU, from
		// the sums when the filter allows (fewSums, sumsSource).
		for _, g := range [][]licensing.SummaryDimension{{licensing.SummaryBySKU, licensing.SummaryByEnrollment},
			{licensing.SummaryByProgram, licensing.SummaryByFamily}, {licensing.SummaryByAccount, licensing.SummaryBySKU}} {
			sameGroups(t, fmt.Sprintf("%s: rollup by %v filtered on %s=%s", what, g, d, v), rollupGroups(t, h.s, h.op, g, f, h.now),
				licensing.Summarize(cells, g, map[licensing.SummaryDimension]string{d: v}))
		}
	}
	g := []licensing.SummaryDimension{licensing.SummaryByAccount, licensing.SummaryByProgram}
	sameGroups(t, what+": rollup in the reseller's scope", rollupGroups(t, h.s, h.c, g, SummaryFilter{}, h.now), licensing.Summarize(cells, g, nil))
	h.sumsAsCells(t, what)
	drift, err := h.s.CheckLicenseCells(ctx, h.now, 3)
	must(t, err)
	if drift.Drifted != 0 || !drift.Built {
		t.Fatalf("%s: check found drift: %+v", what, drift)
	}
}

// sumsAsCells checks that, for the operator over every reseller (the store's other resellers,
// from earlier seeds, may hold cells no longer valid: both sides read what is stored), the
// groupings read from the sums or in an index's order give what one GROUP BY over the cells gives.
func (h *cellsHistory) sumsAsCells(t *testing.T, what string) {
	t.Helper()
	ctx := context.Background()
	cat, err := h.s.summaryCatalog(ctx)
	must(t, err)
	d := func(ds ...licensing.SummaryDimension) []licensing.SummaryDimension { return ds }
	for _, g := range [][]licensing.SummaryDimension{nil, d(licensing.SummaryByReseller), d(licensing.SummaryByProgram, licensing.SummaryByFamily),
		d(licensing.SummaryByReseller, licensing.SummaryBySKU)} {
		if !fewSums(h.op, g, SummaryFilter{}) {
			t.Fatalf("by %v: not from the sums", g)
		}
		var got [2]*SummaryResult
		for i, sums := range []bool{false, true} {
			sqlText, args := cellsSummarySQL(h.op, cat, g, SummaryFilter{}, SummaryPage{First: 100000}, sums)
			got[i], err = h.s.summaryPage(ctx, cat, sqlText, args, g, h.now, SummaryPage{First: 100000}, nil)
			must(t, err)
		}
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Fatalf("%s: every reseller by %v: from the cells %+v, from the sums %+v", what, g, got[0], got[1])
		}
	}
	// Every grouping as summaryFromCells reads it for the operator (each reseller named in the
	// filter, then the sums or an index's order) against one GROUP BY over every stored cell.
	for _, g := range cellGroupings() {
		sqlText, args := cellsSummarySQL(h.op, cat, g, SummaryFilter{}, SummaryPage{First: 100000}, false)
		want, err := h.s.summaryPage(ctx, cat, sqlText, args, g, h.now, SummaryPage{First: 100000}, nil)
		must(t, err)
		got, err := h.s.summaryFromCells(ctx, h.op, g, SummaryFilter{}, h.now, SummaryPage{First: 100000})
		must(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: every reseller by %v: %+v, from every cell %+v", what, g, got, want)
		}
	}
}

// samePages checks that the rollup orders its groups as the slow path does (ids numerically,
// no value first) and pages through them (three at a time) to the same groups and total.
func (h *cellsHistory) samePages(t *testing.T, what string, g []licensing.SummaryDimension, f SummaryFilter) {
	t.Helper()
	ctx := context.Background()
	slow, err := h.s.licenseSummary(ctx, h.op, g, f, h.now, SummaryPage{First: 100000}, false)
	must(t, err)
	paged := []SummaryGroupRow{}
	for off := 0; ; off += 3 {
		p, err := h.s.summaryFromCells(ctx, h.op, g, f, h.now, SummaryPage{First: 3, Offset: off})
		must(t, err)
		if p.TotalGroups != slow.TotalGroups {
			t.Fatalf("%s: total %d on the page at %d, want %d", what, p.TotalGroups, off, slow.TotalGroups)
		}
		paged = append(paged, p.Groups...)
		if !p.HasNext {
			break
		}
	}
	if !reflect.DeepEqual(paged, slow.Groups) {
		t.Fatalf("%s: pages differ from the slow path's order:\n%+v\n%+v", what, paged, slow.Groups)
	}
	past, err := h.s.summaryFromCells(ctx, h.op, g, f, h.now, SummaryPage{First: 3, Offset: len(slow.Groups) + 3})
	must(t, err)
	if len(past.Groups) != 0 || past.HasNext || past.TotalGroups != slow.TotalGroups {
		t.Fatalf("%s: past the end: %d groups, total %d, want %d", what, len(past.Groups), past.TotalGroups, slow.TotalGroups)
	}
}

func setFilter(f *SummaryFilter, d licensing.SummaryDimension, v string) {
	switch d {
	case licensing.SummaryByReseller:
		f.ResellerIDs = []int64{parseID(v)}
	case licensing.SummaryByCustomer:
		f.CustomerIDs = []int64{parseID(v)}
	case licensing.SummaryByAgreement:
		f.AgreementIDs = []int64{parseID(v)}
	case licensing.SummaryByProgram:
		f.Programs = []licensing.Program{licensing.Program(v)}
	case licensing.SummaryByEnrollment:
		f.EnrollmentIDs = []int64{parseID(v)}
	case licensing.SummaryByAccount:
		f.AccountIDs = []int64{parseID(v)}
	case licensing.SummaryBySKU:
		f.SKUs = []string{v}
	case licensing.SummaryByFamily:
		f.Families = []licensing.Family{licensing.Family(v)}
	}
}

// R-BI-1, R-BI-2: after every batch of random writes, and as time passes, the rollup sums to
// what the slow path and licensing.Summarize give.
func TestLicenseCellsFollowRandomHistories(t *testing.T) {
	forRandomSeeds(t, "R-BI-1_R-BI-2_history", 11, func(t *testing.T, s *Store, rnd *mrand.Rand) {
		h := newCellsHistory(t, s, rnd)
		h.compare(t, "start")
		for batch := 0; batch < 12; batch++ {
			for i := 0; i < 8; i++ {
				h.step(t)
				h.now = h.now.Add(time.Duration(h.rnd.IntN(90)) * time.Minute)
			}
			h.compare(t, fmt.Sprintf("batch %d at %s", batch, h.now))
			// Time passes: licenses become available, terms and grace end, reservations are billed.
			h.now = h.now.Add(time.Duration(h.rnd.IntN(5*24*60)) * time.Minute)
		}
		t.Logf("writes done by kind: %v", h.done)
		// Not vacuous: orders, reservations, assignments, activations and renewals went through.
		for _, op := range []int{0, 3, 4, 9, 10} {
			if h.done[op] == 0 && h.done[op+1] == 0 {
				t.Errorf("no write of kind %d succeeded: %v", op, h.done)
			}
		}
	})
}

// R-BI-2: a pool's cells are used only until their valid_until: as of that instant the summary
// takes the slow path (and gives its answer), and the sweep refreshes them.
func TestLicenseCellsExpireAndTheSweepRefreshes(t *testing.T) {
	forRandomSeeds(t, "R-BI-2_valid_until", 12, func(t *testing.T, s *Store, rnd *mrand.Rand) {
		h := newCellsHistory(t, s, rnd)
		for i := 0; i < 40; i++ {
			h.step(t)
		}
		h.compare(t, "before")
		var next LicenseCellPool
		err := s.db.Where("reseller_id = ? AND valid_until > ? AND valid_until < ?", h.reseller, h.now, cellsForever).Order("valid_until").Take(&next).Error
		must(t, err)
		ctx := context.Background()
		f := SummaryFilter{ResellerIDs: []int64{h.reseller}}
		if ok, err := s.cellsUsable(ctx, h.op, f, next.ValidUntil.Add(-time.Microsecond)); err != nil || !ok {
			t.Fatalf("usable just before %s: %v %v", next.ValidUntil, ok, err)
		}
		if ok, err := s.cellsUsable(ctx, h.op, f, next.ValidUntil); err != nil || ok {
			t.Fatalf("usable at its valid_until %s: %v %v", next.ValidUntil, ok, err)
		}
		if ok, err := s.cellsUsable(ctx, h.op, f, h.now.Add(-time.Microsecond)); err != nil || ok {
			t.Fatalf("usable before the cells were computed: %v %v", ok, err)
		}
		for _, g := range cellGroupings() {
			got, err := s.LicenseSummary(ctx, h.op, g, f, next.ValidUntil, SummaryPage{First: 1000})
			must(t, err)
			want, err := s.licenseSummary(ctx, h.op, g, f, next.ValidUntil, SummaryPage{First: 1000}, false)
			must(t, err)
			sameGroups(t, fmt.Sprintf("as of %s by %v", next.ValidUntil, g), asGroups(got), asGroups(want))
		}
		h.now = next.ValidUntil
		h.compare(t, "after the sweep") // sweeps, then needs the rollup usable
	})
}

// R-BI-2: the check reports a corrupted cell, and the repair (RebuildLicenseCells) clears it.
func TestLicenseCellsCheckAndRepair(t *testing.T) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		h := newCellsHistory(t, s, mrand.New(mrand.NewPCG(5, 13)))
		for i := 0; i < 40; i++ {
			h.step(t)
		}
		h.compare(t, "before")
		var c LicenseCell
		must(t, s.db.Where("reseller_id = ?", h.reseller).Order("account_key, sku, cell_no").Take(&c).Error)
		must(t, s.db.Model(&LicenseCell{}).Where("reseller_id = ? AND account_key = ? AND sku = ? AND cell_no = ?", c.ResellerID, c.AccountKey, c.SKU, c.CellNo).
			Update("assigned", c.Assigned+3).Error)
		ctx := context.Background()
		drift, err := s.CheckLicenseCells(ctx, h.now, 3)
		must(t, err)
		if drift.Drifted != 2 || len(drift.Examples) != 2 { // the pool, and the reseller's sums no longer its cells'
			t.Fatalf("after corrupting one cell: %+v", drift)
		}
		must(t, s.RebuildLicenseCells(ctx, h.now))
		h.compare(t, "after the repair")
		// A sum row alone: the cells are right, the sums (and the summaries read from them) are not.
		var sum LicenseCellSum
		must(t, s.db.Where("reseller_id = ? AND dim = ? AND cells > 0", h.reseller, sumByProgramSKU).Order("program, sku, shard").Take(&sum).Error)
		must(t, s.db.Model(&LicenseCellSum{}).Where("reseller_id = ? AND dim = ? AND program = ? AND sku = ? AND shard = ?", sum.ResellerID, sum.Dim, sum.Program, sum.SKU, sum.Shard).
			Update("licensed", sum.Licensed+5).Error)
		drift, err = s.CheckLicenseCells(ctx, h.now, 3)
		must(t, err)
		if drift.Drifted != 1 || len(drift.Examples) != 1 || !strings.Contains(drift.Examples[0], "sums differ") {
			t.Fatalf("after corrupting one sum: %+v", drift)
		}
		only := SummaryFilter{ResellerIDs: []int64{h.reseller}}
		licensed := func(groups []licensing.SummaryGroup) (n int) {
			for _, g := range groups {
				n += g.Row.Licensed
			}
			return n
		}
		bySKU := []licensing.SummaryDimension{licensing.SummaryBySKU}
		if got, want := licensed(rollupGroups(t, s, h.op, bySKU, only, h.now)), licensed(summaryAll(t, s, h.op, bySKU, only, h.now))+5; got != want {
			t.Fatalf("by SKU with one sum corrupted: licensed %d, want %d (read from the sums)", got, want)
		}
		must(t, s.RebuildLicenseCells(ctx, h.now))
		h.compare(t, "after the second repair")
	})
}

func asGroups(r *SummaryResult) []licensing.SummaryGroup {
	out := make([]licensing.SummaryGroup, len(r.Groups))
	for i, g := range r.Groups {
		out[i] = licensing.SummaryGroup{Keys: g.Keys(r.GroupBy), Row: g.SummaryRow}
	}
	return out
}

// R-BI-1, R-BI-2: writers on several connections at once (MySQL when TEST_MYSQL_DSN is set:
// real row locks, deadlocks and retries) leave no drift: every pool whose cells claim to hold
// equals the ledger's recomputation, and after the sweep the rollup equals the slow path.
func TestLicenseCellsUnderConcurrentWrites(t *testing.T) {
	s := concurrentStore(t)
	h := newCellsHistory(t, s, mrand.New(mrand.NewPCG(21, 21)))
	for i := 0; i < 20; i++ { // some licenses and activations to contend on
		h.step(t)
	}
	hot := h.accounts[0]
	for _, a := range h.accounts {
		if len(h.users[a]) > len(h.users[hot]) {
			hot = a
		}
	}
	const writers, each = 4, 40
	errs := make(chan error, writers*each)
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		w := *h
		w.rnd, w.prefix, w.done = mrand.New(mrand.NewPCG(uint64(g), 99)), fmt.Sprint("w", g), map[int]int{}
		w.enrollments = slices.Clone(h.enrollments)
		if g%2 == 0 { // half the writers on one pool: the account with the most users, one SKU
			w.accounts, w.skus = []int64{hot}, historySKUs[:1]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := w.write(t); err != nil {
					errs <- err
				}
			}
			t.Logf("writer %s: writes done by kind %v", w.prefix, w.done)
		}()
	}
	wg.Wait()
	close(errs)
	exhausted := 0
	for err := range errs {
		if !retryable(err) && !IsUnavailable(err) {
			t.Errorf("concurrent write: %v", err)
		}
		exhausted++ // a transaction that lost every retry: the API answers 503, nothing was written
	}
	t.Logf("%d writes ran out of retries", exhausted)
	drift, err := s.CheckLicenseCells(context.Background(), h.now, 5)
	must(t, err)
	if drift.Drifted != 0 {
		t.Fatalf("drift after concurrent writes: %+v", drift)
	}
	h.compare(t, "after concurrent writes")
}
