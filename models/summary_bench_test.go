package models

// Benchmarks of the license summary and the conflict queries at scale (R-BI-2: "stay fast at
// a million assignments"). They need a seeded database and are skipped without one:
//
//	# once: seed 1,000,000 assignments over 100,000 subscriptions (a few minutes on MariaDB)
//	mysql -h127.0.0.1 -uroot -e 'CREATE DATABASE bench'
//	LICENSING_SEED_DSN=mysql://root@127.0.0.1:3306/bench go test -run TestSeedBenchDatabase -v -timeout 1h ./models
//
//	# then, as often as needed
//	LICENSING_BENCH_DSN=mysql://root@127.0.0.1:3306/bench go test -run '^$' -bench . -benchtime 20x ./models
//
// LICENSING_SEED_ASSIGNMENTS, LICENSING_SEED_SUBSCRIPTIONS and LICENSING_SEED_RESELLERS
// change the scale (defaults 1,000,000, 100,000 and 1). The data's instant is the seed's
// default Now (2026-06-01), which the benchmarks evaluate at.

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

var benchAsOf = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestSeedBenchDatabase seeds the database of LICENSING_SEED_DSN (it must exist; the seed
// adds new resellers to whatever it holds) and logs progress and timings.
func TestSeedBenchDatabase(t *testing.T) {
	dsn := os.Getenv("LICENSING_SEED_DSN")
	if dsn == "" {
		t.Skip("set LICENSING_SEED_DSN=mysql://root@127.0.0.1:3306/bench to seed a benchmark database")
	}
	ctx := context.Background()
	s := openTestStore(t, dsn)
	defer s.Close()
	rep, err := Seed(ctx, s, SeedOptions{
		Resellers:     envInt("LICENSING_SEED_RESELLERS", 1),
		Subscriptions: envInt("LICENSING_SEED_SUBSCRIPTIONS", 100_000),
		Assignments:   envInt("LICENSING_SEED_ASSIGNMENTS", 1_000_000),
		RandSeed:      uint64(envInt("LICENSING_SEED_RAND", 1)),
		Progress:      func(m string) { t.Log(m) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Phases {
		t.Logf("phase %-55s %9d rows %10s", p.Name, p.Rows, p.Duration.Round(time.Millisecond))
	}
	t.Logf("total %s; rows %v; resellers %v; largest account %d (%d users); accounts planned in conflict %d",
		rep.Total.Round(time.Millisecond), rep.Rows, rep.ResellerIDs, rep.LargestAccountID, rep.LargestAccountUsers, rep.ConflictAccounts)
}

var (
	benchOnce     sync.Once
	benchStore    *Store
	benchLargest  int64 // the account with the most assignments
	benchTypical  int64 // an account with about the median number
	benchReseller int64 // the largest account's reseller
	benchErr      error
)

func benchSetup(b *testing.B) *Store {
	dsn := os.Getenv("LICENSING_BENCH_DSN")
	if dsn == "" {
		b.Skip("set LICENSING_BENCH_DSN to a seeded database (see TestSeedBenchDatabase)")
	}
	benchOnce.Do(func() {
		ctx := context.Background()
		if benchStore, benchErr = Open(ctx, Config{DatabaseURL: dsn}); benchErr != nil {
			return
		}
		if benchErr = benchStore.Migrate(ctx); benchErr != nil {
			return
		}
		type acct struct {
			AccountID int64 `gorm:"column:account_id"`
			N         int   `gorm:"column:n"`
		}
		var rows []acct
		benchErr = benchStore.ctx(ctx).Raw(`SELECT account_id, COUNT(*) AS n FROM license_assignments GROUP BY account_id ORDER BY n DESC, account_id`).Scan(&rows).Error
		if benchErr == nil && len(rows) > 0 {
			benchLargest, benchTypical = rows[0].AccountID, rows[len(rows)/2].AccountID
			var total int
			for _, r := range rows {
				total += r.N
			}
			b.Logf("%d assignments on %d accounts; largest account %d has %d, typical %d has %d",
				total, len(rows), benchLargest, rows[0].N, benchTypical, rows[len(rows)/2].N)
			var a *Account
			if a, benchErr = benchStore.Account(ctx, Caller{Role: RoleOperator}, benchLargest); benchErr == nil {
				benchReseller = a.ResellerID
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	if benchLargest == 0 {
		b.Skip("the benchmark database holds no assignments: seed it first")
	}
	return benchStore
}

func reportMillis(b *testing.B, start time.Time) {
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
}

// benchSummary times one license summary query, which must find groups.
func benchSummary(b *testing.B, s *Store, c Caller, dims []licensing.SummaryDimension, f SummaryFilter, first int) {
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r, err := s.LicenseSummary(ctx, c, dims, f, benchAsOf, SummaryPage{First: first})
		if err != nil || len(r.Groups) == 0 {
			b.Fatal(r, err)
		}
	}
	reportMillis(b, start)
}

// BenchmarkLicenseSummaryBySKU: grouped by SKU (R-BI-2), for an operator (every reseller)
// and for the reseller of the largest account (a BI READER key; all of a one-reseller seed).
func BenchmarkLicenseSummaryBySKU(b *testing.B) {
	s := benchSetup(b)
	for _, c := range []struct {
		name string
		c    Caller
	}{{"operator", Caller{Role: RoleOperator}}, {"reseller", Caller{Role: RoleReader, ResellerID: benchReseller}}} {
		b.Run(c.name, func(b *testing.B) {
			benchSummary(b, s, c.c, []licensing.SummaryDimension{licensing.SummaryBySKU}, SummaryFilter{}, 50)
		})
	}
}

// BenchmarkLicenseSummaryByProgram: a subscription dimension, so the users of each pool are
// allocated to its subscriptions (window functions over every subscription and pool).
func BenchmarkLicenseSummaryByProgram(b *testing.B) {
	benchSummary(b, benchSetup(b), Caller{Role: RoleOperator}, []licensing.SummaryDimension{licensing.SummaryByProgram}, SummaryFilter{}, 50)
}

// BenchmarkLicenseSummaryByAccountSKU: every pool, one page of 100 groups.
func BenchmarkLicenseSummaryByAccountSKU(b *testing.B) {
	benchSummary(b, benchSetup(b), Caller{Role: RoleOperator}, []licensing.SummaryDimension{licensing.SummaryByAccount, licensing.SummaryBySKU}, SummaryFilter{}, 100)
}

// BenchmarkLicenseSummaryOneAccount: a filter on one account (a tenant's dashboard).
func BenchmarkLicenseSummaryOneAccount(b *testing.B) {
	benchSummary(b, benchSetup(b), Caller{Role: RoleOperator}, []licensing.SummaryDimension{licensing.SummaryBySKU}, SummaryFilter{AccountIDs: []int64{benchLargest}}, 50)
}

// BenchmarkLicenseConflictsOneAccount: AccountHoldings + ConflictsAt for one account
// (R-LIC-4), the largest and a typical one.
func BenchmarkLicenseConflictsOneAccount(b *testing.B) {
	s := benchSetup(b)
	ctx := context.Background()
	op := Caller{Role: RoleOperator}
	for _, acc := range []struct {
		name string
		id   int64
	}{{"largest", benchLargest}, {"typical", benchTypical}} {
		b.Run(acc.name, func(b *testing.B) {
			start := time.Now()
			for i := 0; i < b.N; i++ {
				h, err := s.AccountHoldings(ctx, op, acc.id)
				if err != nil || len(h) == 0 {
					b.Fatal(h, err)
				}
				_ = licensing.ConflictsAt(h, benchAsOf)
			}
			reportMillis(b, start)
		})
	}
}

// BenchmarkAccountsWithConflicts: the first page of conflicting accounts, whole database.
func BenchmarkAccountsWithConflicts(b *testing.B) {
	s := benchSetup(b)
	ctx := context.Background()
	op := Caller{Role: RoleOperator}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		l, err := s.AccountsWithConflicts(ctx, op, benchAsOf, Page{First: 50})
		if err != nil || len(l.Items) == 0 {
			b.Fatal(l, err)
		}
	}
	reportMillis(b, start)
}

// BenchmarkLicenseSummaryRollup: every grouping of issue 11 as of now, from the rollup
// (license_cells, when every pool holds now: after the seed's backfill or a sweep) and by the
// slow path (the per-pool or per-subscription SQL over the ledger), for the operator (every
// reseller) and for the largest account's reseller.
func BenchmarkLicenseSummaryRollup(b *testing.B) {
	s := benchSetup(b)
	ctx := context.Background()
	asOf := time.Now()
	d := func(ds ...licensing.SummaryDimension) []licensing.SummaryDimension { return ds }
	groupings := []struct {
		name string
		dims []licensing.SummaryDimension
	}{{"SKU", d(licensing.SummaryBySKU)}, {"Program", d(licensing.SummaryByProgram)},
		{"CustomerSKU", d(licensing.SummaryByCustomer, licensing.SummaryBySKU)}, {"AccountSKU", d(licensing.SummaryByAccount, licensing.SummaryBySKU)},
		{"Enrollment", d(licensing.SummaryByEnrollment)}}
	callers := []struct {
		name string
		c    Caller
	}{{"operator", Caller{Role: RoleOperator}}, {"reseller", Caller{Role: RoleReader, ResellerID: benchReseller}}}
	for _, c := range callers {
		if ok, err := s.cellsUsable(ctx, c.c, SummaryFilter{}, asOf); err != nil || !ok {
			b.Fatalf("the rollup does not hold now (%v): run licensing-api rollup repair, or wait for the sweep", err)
		}
		for _, g := range groupings {
			b.Run(c.name+"/"+g.name+"/rollup", func(b *testing.B) {
				start := time.Now()
				for i := 0; i < b.N; i++ {
					if r, err := s.LicenseSummary(ctx, c.c, g.dims, SummaryFilter{}, asOf, SummaryPage{First: 100}); err != nil || len(r.Groups) == 0 {
						b.Fatal(r, err)
					}
				}
				reportMillis(b, start)
			})
			b.Run(c.name+"/"+g.name+"/slow", func(b *testing.B) {
				start := time.Now()
				for i := 0; i < b.N; i++ {
					if r, err := s.licenseSummary(ctx, c.c, g.dims, SummaryFilter{}, asOf, SummaryPage{First: 100}, false); err != nil || len(r.Groups) == 0 {
						b.Fatal(r, err)
					}
				}
				reportMillis(b, start)
			})
		}
	}
}

// BenchmarkLicenseCellsRefresh: what a write adds after its commit, the recomputation of its
// pools (refreshPools: the slow path over the pool, its cells and sums rewritten), for one pool
// of a typical account and for the reseller's pool of licenses on no account (its enrollments
// not activated).
func BenchmarkLicenseCellsRefresh(b *testing.B) {
	s := benchSetup(b)
	ctx := context.Background()
	var pools []LicenseCellPool
	err := s.ctx(ctx).Where("reseller_id = ? AND account_key IN ?", benchReseller, []int64{benchTypical, -benchReseller}).Order("account_key DESC, sku").Find(&pools).Error
	if err != nil || len(pools) < 2 {
		b.Fatalf("pools of account %d and of no account: %v %v", benchTypical, pools, err)
	}
	for _, p := range []LicenseCellPool{pools[0], pools[len(pools)-1]} {
		pool := cellPool{ResellerID: p.ResellerID, Account: p.AccountKey, SKU: p.SKU}
		name := "account/" + p.SKU
		if p.AccountKey < 0 {
			name = "noaccount/" + p.SKU
		}
		b.Run(name, func(b *testing.B) {
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if err := s.refreshPools(ctx, []cellPool{pool}, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			reportMillis(b, start)
		})
	}
}
