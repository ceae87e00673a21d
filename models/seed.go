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
func Seed(ctx context.Context, s *Store, opts SeedOptions) (*SeedReport, error) {
	opts.defaults(s.dialect)
	start := time.Now()
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf("[%6.1fs] ", time.Since(start).Seconds()) + fmt.Sprintf(format, args...))
		}
	}
	sqlDB, err := s.sqlDB()
	if err != nil {
		return nil, err
	}
	rnd := rand.New(rand.NewPCG(opts.RandSeed, 0x5eed))
	rep := &SeedReport{Rows: map[string]int64{}}
	now := opts.Now
	today := licensing.DateOf(now)
	days := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	ptr := func(t time.Time) *time.Time { return &t }

	// ---- plan: accounts, enrollments, subscriptions, pools (in memory; ~100 bytes a sub) ----
	phase := time.Now()
	w := newSeedWriter(ctx, sqlDB, opts.BatchSize, opts.Workers)
	resellers := w.table("resellers", "id", "name", "created_at")
	customers := w.table("customers", "id", "reseller_id", "organization_name", "country", "created_at")
	agreements := w.table("agreements", "id", "reseller_id", "customer_id", "program", "number", "start_date", "anniversary_date", "created_at")
	enrollments := w.table("enrollments", "id", "reseller_id", "agreement_id", "number", "organization_name", "osm_name", "osm_email",
		"start_date", "end_date", "status", "account_id", "created_at")
	accounts := w.table("accounts", "id", "reseller_id", "customer_id", "name", "country", "created_at")
	for i := 0; i < opts.Resellers; i++ {
		id := newID()
		rep.ResellerIDs = append(rep.ResellerIDs, id)
		resellers.add(id, fmt.Sprintf("Seeded reseller %d (%d)", i+1, id), now)
	}

	var accts []*seedAccount
	var subs []*seedSub
	seq := 0
	for len(subs) < opts.Subscriptions {
		seq++
		resellerID := rep.ResellerIDs[seq%len(rep.ResellerIDs)]
		a := &seedAccount{id: newID(), resellerID: resellerID, customerID: newID()}
		accts = append(accts, a)
		org := fmt.Sprintf("Org %06d", seq)
		country := seedCountries[rnd.IntN(len(seedCountries))]
		created := days(-400 - rnd.IntN(700))
		customers.add(a.customerID, resellerID, org, country, created)
		accounts.add(a.id, resellerID, a.customerID, org+" tenant", country, created)

		program := seedPrograms[rnd.IntN(len(seedPrograms))]
		agreementID := newID()
		number := fmt.Sprintf("EA-%07d", seq)
		if program == licensing.ProgramOpenValue {
			number = fmt.Sprintf("V%07d", seq) // R-AGR-1
		}
		anniversary := licensing.DateOf(created).AddYears(1)
		for anniversary.Before(today) {
			anniversary = anniversary.AddYears(1)
		}
		agreements.add(agreementID, resellerID, a.customerID, program, number, licensing.DateOf(created), anniversary, created)

		// The current enrollment, activated on the account; 2% are not yet (R-ACT-1), so
		// their licenses are on no account and nobody holds them.
		activated := rnd.Float64() >= 0.02
		enrollment := func(n int, status licensing.EnrollmentStatus, start, end licensing.Date) int64 {
			id := newID()
			var account any
			if activated {
				account = a.id
			}
			enrollments.add(id, resellerID, agreementID, fmt.Sprintf("ENR-%07d-%d", seq, n), org, "OSM "+org,
				fmt.Sprintf("osm%d@org%06d.example", n, seq), start, end, status, account, start.Start())
			return id
		}
		curEnd := today.AddDays(30 + rnd.IntN(900))
		cur := enrollment(1, licensing.EnrollmentActive, curEnd.AddYears(-3), curEnd)
		autoRenew := rnd.Float64() < 0.5
		newSub := func(role seedRole, enrollmentID, direct int64, prog licensing.Program, sku string) *seedSub {
			sub := &seedSub{id: newID(), resellerID: resellerID, role: role, enrollmentID: enrollmentID, directAccountID: direct,
				program: prog, sku: sku, endDate: curEnd, autoRenew: autoRenew}
			subs = append(subs, sub)
			return sub
		}

		// SKUs of the enrollment: SubscriptionsPerAccount on average with the renewals and
		// direct purchases below.
		want := min(1+rnd.IntN(max(2*opts.SubscriptionsPerAccount-3, 1)), len(seedSeatSKUs))
		var skus []string
		for tries := 0; len(skus) < want && tries < 50; tries++ {
			if sku := seedPickSKU(rnd); !slices.Contains(skus, sku) && !slices.Contains(skus, seedIncompatible[sku]) {
				skus = append(skus, sku)
			}
		}
		if !activated {
			for _, sku := range skus {
				newSub(seedCurrent, cur, 0, program, sku).quantity = 5 + rnd.IntN(100)
			}
			skus = nil
		}
		size := math.Exp(rnd.NormFloat64() * 1.1) // many small tenants, some large ones
		if rnd.Float64() < 0.002 {
			size *= 30 // and a few very large ones (thousands of users)
		}
		pools := map[string]*seedPool{}
		pool := func(sku string) *seedPool {
			if p := pools[sku]; p != nil {
				return p
			}
			p := &seedPool{sku: sku, weight: size * (0.4 + rnd.Float64()*1.2)}
			pools[sku] = p
			a.pools = append(a.pools, p)
			return p
		}
		var old int64
		var graceFrom, graceUntil *time.Time
		deprovisioned := false
		if activated && rnd.Float64() < 0.15 { // renewed (R-SUB-2)
			old = enrollment(0, licensing.EnrollmentRenewed, curEnd.AddYears(-6), curEnd.AddYears(-3))
			deprovisioned = rnd.Float64() < 0.3
			if deprovisioned { // R-SUB-3: the grace period is over
				graceFrom = ptr(days(-40 - rnd.IntN(200)))
			} else {
				graceFrom = ptr(days(-rnd.IntN(25)))
			}
			graceUntil = ptr(graceFrom.Add(30 * 24 * time.Hour))
		}
		for _, sku := range skus {
			p := pool(sku)
			sub := newSub(seedCurrent, cur, 0, program, sku)
			p.subs = append(p.subs, sub)
			switch r := rnd.Float64(); {
			case r < 0.015:
				p.kind = seedOver
			case r < 0.03:
				p.kind = seedExpired
				sub.autoRenew, sub.endDate = false, today.AddDays(-1-rnd.IntN(60))
			case r < 0.035:
				p.kind = seedCancelled
				sub.cancelledAt = ptr(days(-1 - rnd.IntN(30)))
			}
			if old == 0 {
				continue
			}
			from := sku
			if x, ok := seedDowngrades[sku]; ok && rnd.Float64() < 0.25 && !slices.Contains(skus, x) && !slices.Contains(skus, seedIncompatible[x]) {
				// Renewed from the smaller SKU x: its users stay on x, covered by grace only,
				// until an administrator assigns the new SKU (R-SUB-4, R-LIC-7).
				from = x
			}
			os := newSub(seedOld, old, 0, program, from)
			os.graceFrom, os.graceUntil = graceFrom, graceUntil
			op := pool(from)
			op.subs = append(op.subs, os)
			if from != sku {
				op.kind = seedGraceOnly
				if deprovisioned {
					op.kind = seedDeprovised
				}
			}
		}
		// 10% of accounts also buy directly (MOSP): a SKU they may already hold (two
		// subscriptions in one pool, R-ENR-2) or another one.
		if rnd.Float64() < 0.10 {
			if sku := seedPickSKU(rnd); !slices.Contains(skus, seedIncompatible[sku]) {
				p := pool(sku)
				p.subs = append(p.subs, newSub(seedDirect, 0, a.id, licensing.ProgramMOSP, sku))
			}
		}
	}
	// ---- scale the pools' weights to exactly opts.Assignments users ----
	var all []*seedPool
	total := 0.0
	for _, a := range accts {
		for _, p := range a.pools {
			all = append(all, p)
			total += p.weight
		}
	}
	assigned := 0
	for _, p := range all {
		p.n = int(p.weight / total * float64(opts.Assignments))
		assigned += p.n
	}
	for i := 0; assigned < opts.Assignments && len(all) > 0; i++ {
		all[i%len(all)].n++
		assigned++
	}
	// ---- quantities from the users each pool covers ----
	largest := 0
	for _, a := range accts {
		conflict, n := false, 0
		for _, p := range a.pools {
			a.users = max(a.users, p.n)
			n += p.n
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
			covered := 0
			for _, sub := range p.subs {
				st := licensing.SubscriptionTerm{EndDate: sub.endDate, AutoRenew: sub.autoRenew, CancelledAt: sub.cancelledAt,
					GraceFrom: sub.graceFrom, GraceUntil: sub.graceUntil}.StatusAt(now)
				if st == licensing.SubscriptionActive || st == licensing.SubscriptionInGrace {
					covered += sub.quantity
				}
			}
			conflict = conflict || p.n > covered // R-LIC-2 as ConflictsAt counts it
		}
		a.users += a.users / 20 // some users hold no license
		if conflict {
			rep.ConflictAccounts++
		}
		if n > largest {
			largest, rep.LargestAccountID, rep.LargestAccountUsers = n, a.id, a.users
		}
	}
	for _, t := range []*seedTable{resellers, customers, agreements, enrollments, accounts} {
		t.flush()
	}
	if err := w.wait(); err != nil {
		return nil, err
	}
	rep.addPhase("resellers, customers, agreements, enrollments, accounts", time.Since(phase), w, say)

	// ---- subscriptions, their quantity changes, reservations ----
	phase = time.Now()
	w = newSeedWriter(ctx, sqlDB, opts.BatchSize, opts.Workers)
	subT := w.table("subscriptions", "id", "reseller_id", "enrollment_id", "direct_account_id", "program", "sku", "quantity", "end_date",
		"auto_renew", "cancelled_at", "grace_from", "grace_until", "created_at", "updated_at")
	chT := w.table("subscription_changes", "id", "reseller_id", "subscription_id", "delta", "cause", "order_id", "reservation_id", "effective_at")
	resT := w.table("reservations", "id", "reseller_id", "enrollment_id", "subscription_id", "sku", "quantity", "status", "contact_email",
		"reserved_at", "processed_at", "billing_date", "idempotency_key", "fingerprint")
	for _, sub := range subs {
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
	subT.flush()
	chT.flush()
	resT.flush()
	if err := w.wait(); err != nil {
		return nil, err
	}
	rep.addPhase("subscriptions, changes, reservations", time.Since(phase), w, say)

	// ---- users and assignments ----
	phase = time.Now()
	w = newSeedWriter(ctx, sqlDB, opts.BatchSize, opts.Workers)
	userT := w.table("account_users", "id", "reseller_id", "account_id", "user_name", "display_name", "created_at")
	asgT := w.table("license_assignments", "id", "reseller_id", "account_id", "user_id", "sku", "assigned_at")
	poolT := w.table("license_pools", "reseller_id", "account_id", "sku", "assigned")
	next := 100_000
	for n, a := range accts {
		ids := make([]int64, a.users)
		for i := range ids {
			ids[i] = newID()
			userT.add(ids[i], a.resellerID, a.id, fmt.Sprintf("user%05d@acct%d.example", i, n), fmt.Sprintf("User %d", i), now.Add(-500*24*time.Hour))
		}
		for _, p := range a.pools {
			if p.n > 0 { // the counter AssignLicenses keeps (adjustPool)
				poolT.add(a.resellerID, a.id, p.sku, p.n)
			}
			for i := 0; i < p.n; i++ {
				at := now.Add(-time.Duration(rnd.Int64N(int64(400 * 24 * time.Hour))))
				asgT.add(newID(), a.resellerID, a.id, ids[i], p.sku, at.Truncate(time.Microsecond))
			}
		}
		if asgT.rows >= int64(next) {
			say("assignments %d/%d, users %d", asgT.rows, opts.Assignments, userT.rows)
			next += 100_000
		}
		if w.failed() {
			break
		}
	}
	userT.flush()
	asgT.flush()
	poolT.flush()
	if err := w.wait(); err != nil {
		return nil, err
	}
	rep.addPhase("users, assignments, pool counters", time.Since(phase), w, say)
	rep.Total = time.Since(start)
	say("done: %d assignments, %d subscriptions, %d accounts in %s", rep.Rows["license_assignments"], rep.Rows["subscriptions"], rep.Rows["accounts"], rep.Total.Round(time.Millisecond))
	return rep, nil
}

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
