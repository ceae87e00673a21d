package models

// Seed fills a store with a large, realistic data set for the summary and conflict
// benchmarks (R-BI-2: "stay fast at a million assignments") and for trying the API at scale.
// It writes rows directly with multi-row INSERTs, not through the API's one-row writes, so a
// million assignments take minutes, not hours; the rows are the ones the API would make.

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// SeedOptions sizes a Seed run. Zero fields take the defaults in brackets.
type SeedOptions struct {
	Resellers     int // resellers the accounts are spread over [1]
	Subscriptions int // subscriptions to create, about [100,000]
	Assignments   int // license assignments to create, exactly [1,000,000]
	// SubscriptionsPerAccount is the average number of subscriptions on an account,
	// renewals and direct purchases included [5]; it sets the number of accounts.
	SubscriptionsPerAccount int
	BatchSize               int       // rows per INSERT statement (and per transaction) [1000]
	Workers                 int       // statements run in parallel [2 on MySQL, 1 on SQLite]
	Now                     time.Time // the instant the subscription states are relative to [2026-06-01 UTC]
	RandSeed                uint64    // the data set is a function of the options and this
	// Progress, when set, receives a line per phase and about every 100,000 rows.
	Progress func(msg string)
}

// SeedPhase is one timed step of a Seed run.
type SeedPhase struct {
	Name     string
	Rows     int64
	Duration time.Duration
}

// SeedReport says what Seed made and how long it took.
type SeedReport struct {
	ResellerIDs []int64
	Rows        map[string]int64 // rows inserted per table
	Phases      []SeedPhase
	Total       time.Duration
	// LargestAccountID is the account with the most assignments (a benchmark's worst case);
	// ConflictAccounts counts the accounts planned with a conflict as of Now.
	LargestAccountID    int64
	LargestAccountUsers int
	ConflictAccounts    int
}

func (o *SeedOptions) defaults(d Dialect) {
	def := func(v *int, x int) {
		if *v <= 0 {
			*v = x
		}
	}
	def(&o.Resellers, 1)
	def(&o.Subscriptions, 100_000)
	def(&o.Assignments, 1_000_000)
	def(&o.SubscriptionsPerAccount, 5)
	def(&o.BatchSize, 1000)
	if d == SQLite {
		o.Workers = 1
	}
	def(&o.Workers, 2)
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	o.Now = o.Now.UTC()
}

// The seed's catalog use: seat SKUs are assigned to users, the Dynamics add-ons (instances,
// storage) are not. Weights make E3 and Intune common and Dynamics rare.
var seedSeatSKUs = []struct {
	code   string
	weight int
}{{"O365-E3", 30}, {"M365-E3", 20}, {"M365-E5", 12}, {"O365-E1", 10}, {"O365-E5", 8}, {"INTUNE", 15}, {"D365-SALES-PRO", 5}}

// The SKU a renewal may have upgraded from (R-SUB-4: a new SKU does not carry assignments over).
var seedDowngrades = map[string]string{"O365-E5": "O365-E3", "M365-E5": "M365-E3", "O365-E3": "O365-E1"}

var seedIncompatible = map[string]string{"M365-E3": "O365-E3", "O365-E3": "M365-E3", "M365-E5": "O365-E5", "O365-E5": "M365-E5"}

var seedPrograms = []licensing.Program{licensing.ProgramEnterprise, licensing.ProgramEnterprise, licensing.ProgramEnterprise,
	licensing.ProgramEnterpriseSubscription, licensing.ProgramCampusAndSchool, licensing.ProgramOpenValue, licensing.ProgramOpenValue,
	licensing.ProgramMPSA, licensing.ProgramMPSA}

var seedCountries = []string{"US", "US", "US", "GB", "DE", "FR", "NL", "CA", "AU", "JP", "ES", "IT"}

// seedSub is one planned subscription.
type seedSub struct {
	id, resellerID, enrollmentID, directAccountID int64 // 0 for none
	role                                          seedRole
	program                                       licensing.Program
	sku                                           string
	quantity, reserved                            int
	endDate                                       licensing.Date
	autoRenew                                     bool
	cancelledAt, graceFrom, graceUntil            *time.Time
}

type seedRole int

const (
	seedCurrent seedRole = iota // on the account's current enrollment
	seedOld                     // on the enrollment it renewed (R-SUB-2)
	seedDirect                  // a direct (MOSP) purchase on the account
)

// seedPool is a SKU on an account: its subscriptions and, after scaling its weight, the
// number n of users assigned.
type seedPool struct {
	sku    string
	weight float64
	n      int
	subs   []*seedSub
	kind   seedKind
}

type seedKind int

const (
	seedHealthy    seedKind = iota // ACTIVE quantity covers every user, with spare licenses
	seedOver                       // quantity lowered below what is assigned (R-LIC-2, R-LIC-6)
	seedExpired                    // ended with auto-renew off while assigned (R-LIC-3)
	seedCancelled                  // cancelled while assigned (R-SUB-6)
	seedGraceOnly                  // renewed onto another SKU: covered by grace only (R-SUB-4, R-LIC-7)
	seedDeprovised                 // renewed onto another SKU and the grace period is over (R-SUB-3)
)

type seedAccount struct {
	id, resellerID, customerID int64
	pools                      []*seedPool // only pools on the account (activated or direct)
	users                      int
}

// Seed generates resellers, customers, agreements, enrollments activated on accounts,
// subscriptions of various SKUs and states (active, in grace, deprovisioned, expired,
// cancelled, auto-renewing, reserved), users and assignments, with some pools in conflict.
// It adds to whatever the store holds (new resellers each run). Run it on a migrated store.
// It plans in memory first (planAccount, scalePools, setQuantities), then writes in three
// phases; the data set is a function of the options alone.
func Seed(ctx context.Context, s *Store, opts SeedOptions) (*SeedReport, error) {
	opts.defaults(s.dialect)
	// The wall clock only times the phases; the data's own instant is opts.Now.
	start := time.Now()
	sd := &seeder{opts: opts, rnd: rand.New(rand.NewPCG(opts.RandSeed, 0x5eed)), rep: &SeedReport{Rows: map[string]int64{}},
		now: opts.Now, today: licensing.DateOf(opts.Now)}
	sd.say = func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf("[%6.1fs] ", time.Since(start).Seconds()) + fmt.Sprintf(format, args...))
		}
	}
	sqlDB, err := s.sqlDB()
	if err != nil {
		return nil, err
	}
	phases := []struct {
		name string
		run  func(w *seedWriter)
	}{
		{"resellers, customers, agreements, enrollments, accounts", sd.writePlan},
		{"subscriptions, changes, reservations", sd.writeSubscriptions},
		{"users, assignments, pool counters", sd.writeAssignments},
	}
	for _, ph := range phases {
		began := time.Now()
		w := newSeedWriter(ctx, sqlDB, opts.BatchSize, opts.Workers)
		ph.run(w)
		if err := w.wait(); err != nil {
			return nil, err
		}
		sd.rep.addPhase(ph.name, time.Since(began), w, sd.say)
	}
	// The rows went in bulk, past the writes that keep the summary's rollup: build it.
	began := time.Now()
	if err := s.RebuildLicenseCells(ctx, time.Now()); err != nil {
		return nil, err
	}
	sd.say("license summary rollup built in %s", time.Since(began).Round(time.Millisecond))
	sd.rep.Total = time.Since(start)
	sd.say("done: %d assignments, %d subscriptions, %d accounts in %s", sd.rep.Rows["license_assignments"], sd.rep.Rows["subscriptions"],
		sd.rep.Rows["accounts"], sd.rep.Total.Round(time.Millisecond))
	return sd.rep, nil
}

// seeder is one Seed run: its options, its random source and what it planned.
type seeder struct {
	opts  SeedOptions
	rnd   *rand.Rand
	rep   *SeedReport
	now   time.Time
	today licensing.Date
	say   func(format string, args ...any)
	accts []*seedAccount
	subs  []*seedSub
	// The tables of the first phase, filled while planning.
	customers, agreements, enrollments, accounts *seedTable
}

func (sd *seeder) days(n int) time.Time { return sd.now.Add(time.Duration(n) * 24 * time.Hour) }

// writePlan plans accounts, enrollments, subscriptions and pools in memory (about 100 bytes a
// subscription) and writes the resellers, customers, agreements, enrollments and accounts.
func (sd *seeder) writePlan(w *seedWriter) {
	resellers := w.table("resellers", "id", "name", "created_at")
	sd.customers = w.table("customers", "id", "reseller_id", "organization_name", "country", "created_at")
	sd.agreements = w.table("agreements", "id", "reseller_id", "customer_id", "program", "number", "start_date", "anniversary_date", "created_at")
	sd.enrollments = w.table("enrollments", "id", "reseller_id", "agreement_id", "number", "organization_name", "osm_name", "osm_email",
		"start_date", "end_date", "status", "account_id", "created_at")
	sd.accounts = w.table("accounts", "id", "reseller_id", "customer_id", "name", "country", "created_at")
	for i := 0; i < sd.opts.Resellers; i++ {
		id := newID()
		sd.rep.ResellerIDs = append(sd.rep.ResellerIDs, id)
		resellers.add(id, fmt.Sprintf("Seeded reseller %d (%d)", i+1, id), sd.now)
	}
	for seq := 1; len(sd.subs) < sd.opts.Subscriptions; seq++ {
		sd.planAccount(seq)
	}
	sd.scalePools()
	sd.setQuantities()
	for _, t := range w.tables {
		t.flush()
	}
}

// seedPlan is the plan of one account while planAccount makes it.
type seedPlan struct {
	sd            *seeder
	seq           int
	a             *seedAccount
	org           string
	agreementID   int64
	program       licensing.Program
	activated     bool
	curEnd        licensing.Date
	autoRenew     bool
	size          float64
	pools         map[string]*seedPool
	skus          []string
	old           int64
	graceFrom     *time.Time
	graceUntil    *time.Time
	deprovisioned bool
}

// planAccount plans one account with its customer, agreement, current enrollment (and the one
// it renewed), subscriptions and pools.
func (sd *seeder) planAccount(seq int) {
	rnd := sd.rnd
	resellerID := sd.rep.ResellerIDs[seq%len(sd.rep.ResellerIDs)]
	p := &seedPlan{sd: sd, seq: seq, a: &seedAccount{id: newID(), resellerID: resellerID, customerID: newID()}, org: fmt.Sprintf("Org %06d", seq),
		agreementID: newID(), pools: map[string]*seedPool{}}
	sd.accts = append(sd.accts, p.a)
	country := seedCountries[rnd.IntN(len(seedCountries))]
	created := sd.days(-400 - rnd.IntN(700))
	sd.customers.add(p.a.customerID, resellerID, p.org, country, created)
	sd.accounts.add(p.a.id, resellerID, p.a.customerID, p.org+" tenant", country, created)

	p.program = seedPrograms[rnd.IntN(len(seedPrograms))]
	number := fmt.Sprintf("EA-%07d", seq)
	if !licensing.AgreementNumberFits(p.program, number) {
		number = fmt.Sprintf("V%07d", seq)
	}
	anniversary := licensing.DateOf(created).AddYears(1)
	for anniversary.Before(sd.today) {
		anniversary = anniversary.AddYears(1)
	}
	sd.agreements.add(p.agreementID, resellerID, p.a.customerID, p.program, number, licensing.DateOf(created), anniversary, created)

	// The current enrollment, activated on the account; 2% are not yet, so their licenses are
	// on no account and nobody holds them.
	p.activated = rnd.Float64() >= 0.02
	p.curEnd = sd.today.AddDays(30 + rnd.IntN(900))
	cur := p.enrollment(1, licensing.EnrollmentActive, p.curEnd.AddYears(-3), p.curEnd)
	p.autoRenew = rnd.Float64() < 0.5
	p.pickSKUs()
	if !p.activated {
		for _, sku := range p.skus {
			p.newSub(seedCurrent, cur, 0, p.program, sku).quantity = 5 + rnd.IntN(100)
		}
		p.skus = nil
	}
	p.size = math.Exp(rnd.NormFloat64() * 1.1) // many small tenants, some large ones
	if rnd.Float64() < 0.002 {
		p.size *= 30 // and a few very large ones (thousands of users)
	}
	if p.activated && rnd.Float64() < 0.15 { // renewed (R-SUB-2)
		p.renewed()
	}
	for _, sku := range p.skus {
		p.planSKU(cur, sku)
	}
	// 10% of accounts also buy directly (MOSP): a SKU they may already hold (two subscriptions
	// in one pool) or another one.
	if rnd.Float64() < 0.10 {
		if sku := seedPickSKU(rnd); !slices.Contains(p.skus, seedIncompatible[sku]) {
			pl := p.pool(sku)
			pl.subs = append(pl.subs, p.newSub(seedDirect, 0, p.a.id, licensing.ProgramMOSP, sku))
		}
	}
}

// enrollment writes enrollment n of the plan's agreement.
func (p *seedPlan) enrollment(n int, status licensing.EnrollmentStatus, start, end licensing.Date) int64 {
	id := newID()
	var account any
	if p.activated {
		account = p.a.id
	}
	p.sd.enrollments.add(id, p.a.resellerID, p.agreementID, fmt.Sprintf("ENR-%07d-%d", p.seq, n), p.org, "OSM "+p.org,
		fmt.Sprintf("osm%d@org%06d.example", n, p.seq), start, end, status, account, start.Start())
	return id
}

func (p *seedPlan) newSub(role seedRole, enrollmentID, direct int64, prog licensing.Program, sku string) *seedSub {
	sub := &seedSub{id: newID(), resellerID: p.a.resellerID, role: role, enrollmentID: enrollmentID, directAccountID: direct,
		program: prog, sku: sku, endDate: p.curEnd, autoRenew: p.autoRenew}
	p.sd.subs = append(p.sd.subs, sub)
	return sub
}

func (p *seedPlan) pool(sku string) *seedPool {
	if pl := p.pools[sku]; pl != nil {
		return pl
	}
	pl := &seedPool{sku: sku, weight: p.size * (0.4 + p.sd.rnd.Float64()*1.2)}
	p.pools[sku] = pl
	p.a.pools = append(p.a.pools, pl)
	return pl
}

// pickSKUs chooses the enrollment's SKUs: SubscriptionsPerAccount on average with the renewals
// and direct purchases, none incompatible with another.
func (p *seedPlan) pickSKUs() {
	rnd := p.sd.rnd
	want := min(1+rnd.IntN(max(2*p.sd.opts.SubscriptionsPerAccount-3, 1)), len(seedSeatSKUs))
	for tries := 0; len(p.skus) < want && tries < 50; tries++ {
		if sku := seedPickSKU(rnd); !slices.Contains(p.skus, sku) && !slices.Contains(p.skus, seedIncompatible[sku]) {
			p.skus = append(p.skus, sku)
		}
	}
}

// renewed gives the account the enrollment its current one renewed, in grace or, for 30%,
// deprovisioned (R-SUB-3: the grace period is over).
func (p *seedPlan) renewed() {
	rnd := p.sd.rnd
	p.old = p.enrollment(0, licensing.EnrollmentRenewed, p.curEnd.AddYears(-6), p.curEnd.AddYears(-3))
	p.deprovisioned = rnd.Float64() < 0.3
	if p.deprovisioned {
		p.graceFrom = ptr(p.sd.days(-40 - rnd.IntN(200)))
	} else {
		p.graceFrom = ptr(p.sd.days(-rnd.IntN(25)))
	}
	p.graceUntil = ptr(p.graceFrom.Add(licensing.DefaultGracePeriod))
}

// planSKU plans a SKU of the current enrollment: its pool, its state, and the subscription of
// the renewed enrollment it came from.
func (p *seedPlan) planSKU(cur int64, sku string) {
	rnd := p.sd.rnd
	pl := p.pool(sku)
	sub := p.newSub(seedCurrent, cur, 0, p.program, sku)
	pl.subs = append(pl.subs, sub)
	switch r := rnd.Float64(); {
	case r < 0.015:
		pl.kind = seedOver
	case r < 0.03:
		pl.kind = seedExpired
		sub.autoRenew, sub.endDate = false, p.sd.today.AddDays(-1-rnd.IntN(60))
	case r < 0.035:
		pl.kind = seedCancelled
		sub.cancelledAt = ptr(p.sd.days(-1 - rnd.IntN(30)))
	}
	if p.old == 0 {
		return
	}
	from := sku
	if x, ok := seedDowngrades[sku]; ok && rnd.Float64() < 0.25 && !slices.Contains(p.skus, x) && !slices.Contains(p.skus, seedIncompatible[x]) {
		// Renewed from the smaller SKU x: its users stay on x, covered by grace only, until an
		// administrator assigns the new SKU (R-SUB-4, R-LIC-7).
		from = x
	}
	os := p.newSub(seedOld, p.old, 0, p.program, from)
	os.graceFrom, os.graceUntil = p.graceFrom, p.graceUntil
	op := p.pool(from)
	op.subs = append(op.subs, os)
	if from != sku {
		op.kind = seedGraceOnly
		if p.deprovisioned {
			op.kind = seedDeprovised
		}
	}
}

// scalePools scales the pools' weights to exactly opts.Assignments users.
func (sd *seeder) scalePools() {
	var all []*seedPool
	total := 0.0
	for _, a := range sd.accts {
		for _, p := range a.pools {
			all = append(all, p)
			total += p.weight
		}
	}
	assigned := 0
	for _, p := range all {
		p.n = int(p.weight / total * float64(sd.opts.Assignments))
		assigned += p.n
	}
	for i := 0; assigned < sd.opts.Assignments && len(all) > 0; i++ {
		all[i%len(all)].n++
		assigned++
	}
}

// setQuantities sets the subscriptions' quantities from the users each pool covers, and notes
// the accounts in conflict and the largest one.
func (sd *seeder) setQuantities() {
	largest := 0
	for _, a := range sd.accts {
		conflict, n := false, 0
		for _, p := range a.pools {
			a.users = max(a.users, p.n)
			n += p.n
			conflict = sd.setPoolQuantities(p) || conflict
		}
		a.users += a.users / 20 // some users hold no license
		if conflict {
			sd.rep.ConflictAccounts++
		}
		if n > largest {
			largest, sd.rep.LargestAccountID, sd.rep.LargestAccountUsers = n, a.id, a.users
		}
	}
}

// setPoolQuantities sets the quantities of one pool's subscriptions; true when its users are
// more than its ACTIVE and IN_GRACE quantity covers (a conflict, as licensing.Deficit counts it).
func (sd *seeder) setPoolQuantities(p *seedPool) bool {
	rnd := sd.rnd
	var cover int
	switch p.kind {
	case seedOver: // lowered below what is assigned (R-LIC-6 accepted)
		cover = int(float64(p.n) * (0.6 + rnd.Float64()*0.35))
	case seedGraceOnly, seedDeprovised:
		cover = p.n + rnd.IntN(p.n/5+1)
	default: // a spare of 0-30%
		cover = int(math.Ceil(float64(p.n) / (0.7 + rnd.Float64()*0.3)))
	}
	if p.n == 0 {
		cover = 1 + rnd.IntN(20)
	}
	direct, current := 0, 0
	for _, sub := range p.subs {
		switch sub.role {
		case seedDirect:
			direct++
		case seedCurrent:
			current++
		}
	}
	covered := 0
	for _, sub := range p.subs {
		switch {
		case sub.role == seedOld && p.kind != seedGraceOnly && p.kind != seedDeprovised:
			sub.quantity = max(p.n, 1) // what the enrollment held before its renewal
		case sub.role == seedDirect && current > 0:
			sub.quantity = max(cover/4, 1)
		case sub.role == seedCurrent && direct > 0:
			sub.quantity = max(cover-max(cover/4, 1), 0)
		default:
			sub.quantity = max(cover, 1)
		}
		if sub.role != seedDirect && sub.quantity > 20 && rnd.Float64() < 0.08 {
			sub.reserved = 1 + rnd.IntN(sub.quantity/5) // R-RES-1
		}
	}
	for _, sub := range p.subs {
		st := licensing.SubscriptionTerm{EndDate: sub.endDate, AutoRenew: sub.autoRenew, CancelledAt: sub.cancelledAt,
			GraceFrom: sub.graceFrom, GraceUntil: sub.graceUntil}.StatusAt(sd.now)
		if st == licensing.SubscriptionActive || st == licensing.SubscriptionInGrace {
			covered += sub.quantity
		}
	}
	return p.n > covered
}

// writeSubscriptions writes the subscriptions, their quantity changes and reservations.
func (sd *seeder) writeSubscriptions(w *seedWriter) {
	rnd, now := sd.rnd, sd.now
	subT := w.table("subscriptions", "id", "reseller_id", "enrollment_id", "direct_account_id", "program", "sku", "quantity", "end_date",
		"auto_renew", "cancelled_at", "grace_from", "grace_until", "created_at", "updated_at")
	chT := w.table("subscription_changes", "id", "reseller_id", "subscription_id", "delta", "cause", "order_id", "reservation_id", "effective_at")
	resT := w.table("reservations", "id", "reseller_id", "enrollment_id", "subscription_id", "sku", "quantity", "status", "contact_email",
		"reserved_at", "processed_at", "billing_date", "idempotency_key", "fingerprint")
	for _, sub := range sd.subs {
		r := sub.resellerID
		var enr, direct any
		if sub.enrollmentID != 0 {
			enr = sub.enrollmentID
		}
		if sub.directAccountID != 0 {
			direct = sub.directAccountID
		}
		created := now.Add(-time.Duration(400+rnd.IntN(300)) * 24 * time.Hour)
		subT.add(sub.id, r, enr, direct, sub.program, sub.sku, sub.quantity, sub.endDate, sub.autoRenew,
			sub.cancelledAt, sub.graceFrom, sub.graceUntil, created, created)
		cause := CauseSetQuantity
		if sub.directAccountID != 0 {
			cause = CauseDirect
		}
		chT.add(newID(), r, sub.id, sub.quantity-sub.reserved, cause, nil, nil, created)
		if sub.reserved > 0 { // only enrollment subscriptions are reserved on (R-RES-1)
			resID := newID()
			at := now.Add(-time.Duration(2+rnd.IntN(200)) * 24 * time.Hour)
			billing := licensing.DateOf(at).AddYears(1) // not billed yet
			if rnd.Float64() < 0.3 {
				billing = licensing.DateOf(at).AddDays(1) // billed: the anniversary has passed
			}
			resT.add(resID, r, sub.enrollmentID, sub.id, sub.sku, sub.reserved, licensing.ReservationEffective, "vlsc@seed.example",
				at, at.Add(time.Hour), billing, fmt.Sprintf("seed-%d", resID), strings.Repeat("0", 64))
			chT.add(newID(), r, sub.id, sub.reserved, CauseReservation, nil, resID, at)
		}
	}
	for _, t := range w.tables {
		t.flush()
	}
}

// writeAssignments writes the users, their assignments and the pool counters.
func (sd *seeder) writeAssignments(w *seedWriter) {
	userT := w.table("account_users", "id", "reseller_id", "account_id", "user_name", "display_name", "created_at")
	asgT := w.table("license_assignments", "id", "reseller_id", "account_id", "user_id", "sku", "assigned_at")
	poolT := w.table("license_pools", "reseller_id", "account_id", "sku", "assigned")
	next := 100_000
	for n, a := range sd.accts {
		ids := make([]int64, a.users)
		for i := range ids {
			ids[i] = newID()
			userT.add(ids[i], a.resellerID, a.id, fmt.Sprintf("user%05d@acct%d.example", i, n), fmt.Sprintf("User %d", i), sd.now.Add(-500*24*time.Hour))
		}
		for _, p := range a.pools {
			if p.n > 0 { // the counter AssignLicenses keeps (adjustPool)
				poolT.add(a.resellerID, a.id, p.sku, p.n)
			}
			for i := 0; i < p.n; i++ {
				at := sd.now.Add(-time.Duration(sd.rnd.Int64N(int64(400 * 24 * time.Hour))))
				asgT.add(newID(), a.resellerID, a.id, ids[i], p.sku, at.Truncate(time.Microsecond))
			}
		}
		if asgT.rows >= int64(next) {
			sd.say("assignments %d/%d, users %d", asgT.rows, sd.opts.Assignments, userT.rows)
			next += 100_000
		}
		if w.failed() {
			break
		}
	}
	for _, t := range w.tables {
		t.flush()
	}
}

func ptr[T any](v T) *T { return &v }

func seedPickSKU(rnd *rand.Rand) string {
	total := 0
	for _, k := range seedSeatSKUs {
		total += k.weight
	}
	n := rnd.IntN(total)
	for _, k := range seedSeatSKUs {
		if n < k.weight {
			return k.code
		}
		n -= k.weight
	}
	return seedSeatSKUs[0].code
}

func (rep *SeedReport) addPhase(name string, d time.Duration, w *seedWriter, say func(string, ...any)) {
	var rows int64
	var parts []string
	for _, t := range w.tables {
		rep.Rows[t.name] += t.rows
		rows += t.rows
		parts = append(parts, fmt.Sprintf("%s %d", t.name, t.rows))
	}
	rep.Phases = append(rep.Phases, SeedPhase{Name: name, Rows: rows, Duration: d})
	say("%s: %d rows in %s (%.0f rows/s): %s", name, rows, d.Round(time.Millisecond), float64(rows)/d.Seconds(), strings.Join(parts, ", "))
}

// seedWriter runs multi-row INSERTs on a few connections, each statement its own
// transaction, so a failure loses one batch and the server commits in large steps.
type seedWriter struct {
	ctx    context.Context
	db     *sql.DB
	batch  int
	jobs   chan seedJob
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
	tables []*seedTable
}

type seedJob struct {
	sql  string
	args []any
}

func newSeedWriter(ctx context.Context, db *sql.DB, batch, workers int) *seedWriter {
	w := &seedWriter{ctx: ctx, db: db, batch: batch, jobs: make(chan seedJob, workers*2)}
	for i := 0; i < workers; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for j := range w.jobs {
				if w.failed() {
					continue // drain
				}
				if err := w.exec(j); err != nil {
					w.mu.Lock()
					if w.err == nil {
						w.err = err
					}
					w.mu.Unlock()
				}
			}
		}()
	}
	return w
}

func (w *seedWriter) exec(j seedJob) error {
	tx, err := w.db.BeginTx(w.ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(w.ctx, j.sql, j.args...); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("seed: %w", err)
	}
	return tx.Commit()
}

func (w *seedWriter) failed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err != nil || w.ctx.Err() != nil
}

// wait runs the last statements and returns the first error.
func (w *seedWriter) wait() error {
	close(w.jobs)
	w.wg.Wait()
	if w.err != nil {
		return w.err
	}
	return w.ctx.Err()
}

type seedTable struct {
	w      *seedWriter
	name   string
	cols   []string
	row    string // "(?, ?, ...)"
	args   []any
	n      int
	rows   int64
	prefix string
}

func (w *seedWriter) table(name string, cols ...string) *seedTable {
	t := &seedTable{w: w, name: name, cols: cols, row: "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")",
		prefix: "INSERT INTO " + name + " (" + strings.Join(cols, ", ") + ") VALUES "}
	w.tables = append(w.tables, t)
	return t
}

func (t *seedTable) add(vals ...any) {
	if len(vals) != len(t.cols) {
		panic(fmt.Sprintf("seed: %s takes %d values, got %d", t.name, len(t.cols), len(vals)))
	}
	for i, v := range vals {
		if p, ok := v.(*time.Time); ok { // a nil *time.Time is NULL, not a typed nil the drivers reject
			if p == nil {
				vals[i] = nil
			} else {
				vals[i] = *p
			}
		}
	}
	t.args = append(t.args, vals...)
	t.n++
	t.rows++
	if t.n == t.w.batch {
		t.flush()
	}
}

func (t *seedTable) flush() {
	if t.n == 0 {
		return
	}
	var b strings.Builder
	b.Grow(len(t.prefix) + t.n*(len(t.row)+2))
	b.WriteString(t.prefix)
	for i := 0; i < t.n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.row)
	}
	t.w.jobs <- seedJob{sql: b.String(), args: t.args}
	t.args, t.n = make([]any, 0, len(t.args)), 0
}
