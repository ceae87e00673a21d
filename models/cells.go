package models

// The license summary's rollup (R-BI-1, R-BI-2; issue 11): license_cells holds, per pool
// (reseller, account or none, SKU), the pool's summary cells as the slow path (summary.go's
// per-subscription SQL, grouped by all eight dimensions and restricted to the pool) computes
// them at an instant, and the interval [valid_from, valid_until) of instants for which they
// are exact (licensing.NextSummaryChange). LicenseSummary sums them when every pool in scope is
// valid at asOf, and takes the slow path otherwise: one definition of a cell.
//
// Keeping it (cellDirty): every write to a pool's facts touches the pool in its transaction
// (touchPools, touchSubscriptions); before the commit InTx invalidates the touched pools' rows
// in license_cell_pools (valid_until set to cellsInvalid, revision + 1), so no reader sums a cell
// that the write made wrong, and right after the commit recomputes them at the write's
// instant (refreshPools). Why after, not inside: under REPEATABLE READ a transaction reads the
// snapshot of its first read, which may predate a concurrent write to the same pool that
// committed before this one took the pool's lock, so a recomputation inside it could write
// stale cells last. refreshPools instead takes the pools' rows first (UPDATE, a locking write,
// before any read), then reads: its snapshot is newer than every write that invalidated the
// pool before, and a write after it invalidates again and refreshes again. On Galera the pool
// row is the certification key: two refreshes, or a refresh and a write, of one pool on two
// nodes cannot both commit. A refresh that fails leaves the pool invalid: the sweep
// (SweepLicenseCells) retries it, with the pools whose valid_until has passed. Each
// transaction that rewrites cells adds their change to the sums by dimension (cells_sums.go).

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/licensing-api/licensing-api/licensing"
)

// LicenseCell is a row of license_cells: one summary cell of a pool, numbered from 1.
type LicenseCell struct {
	ResellerID        int64  `gorm:"primaryKey;autoIncrement:false"`
	AccountKey        int64  `gorm:"primaryKey;autoIncrement:false"` // the account, or -ResellerID for no account
	SKU               string `gorm:"column:sku;primaryKey"`
	CellNo            int    `gorm:"primaryKey;autoIncrement:false"`
	CustomerID        *int64
	AgreementID       *int64
	Program           *string
	EnrollmentID      *int64
	Family            *string
	Licensed          int
	Pending           int
	InGrace           int
	ReservedNotBilled int
	Assigned          int
	Unassignable      int
}

func (LicenseCell) TableName() string { return "license_cells" }

// LicenseCellPool is a pool's row of license_cell_pools: the instants its cells hold for, and
// the revision every change of the pool writes.
type LicenseCellPool struct {
	ResellerID int64  `gorm:"primaryKey;autoIncrement:false"`
	AccountKey int64  `gorm:"primaryKey;autoIncrement:false"`
	SKU        string `gorm:"column:sku;primaryKey"`
	Revision   int64
	ValidFrom  time.Time
	ValidUntil time.Time
}

func (LicenseCellPool) TableName() string { return "license_cell_pools" }

func (k cellPool) where(db *gorm.DB) *gorm.DB {
	return db.Where("reseller_id = ? AND account_key = ? AND sku = ?", k.ResellerID, k.Account, k.SKU)
}

// cellsBuilt is license_cells_built's one row: the backfill ran (RebuildLicenseCells).
type cellsBuilt struct {
	ID      int `gorm:"primaryKey;autoIncrement:false"`
	BuiltAt time.Time
}

func (cellsBuilt) TableName() string { return "license_cells_built" }

var (
	// cellsForever is valid_until of a pool with nothing due.
	cellsForever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	// cellsInvalid is valid_until of a pool a write changed and no refresh recomputed yet.
	cellsInvalid = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
)

// cellPool names a pool: Account is the account, or -ResellerID for the licenses on no account
// (the pool key of summary.go).
type cellPool struct {
	ResellerID int64
	Account    int64
	SKU        string
}

func comparePools(a, b cellPool) int {
	return cmp.Or(cmp.Compare(a.ResellerID, b.ResellerID), cmp.Compare(a.Account, b.Account), cmp.Compare(a.SKU, b.SKU))
}

// cellDirty is what a transaction changed: pools, and subscriptions whose pool is read at the
// end (after an activation moved them). at is the write's instant.
type cellDirty struct {
	pools map[cellPool]bool
	subs  map[int64]int64 // subscription id -> reseller
	at    time.Time
}

func (d *cellDirty) stamp(now time.Time) {
	if d.at.IsZero() || now.After(d.at) {
		d.at = now
	}
}

// touchPools records that the transaction changed these pools' facts at now. Outside a
// transaction it invalidates and refreshes them at once.
func (s *Store) touchPools(ctx context.Context, now time.Time, pools ...cellPool) error {
	return s.touched(ctx, now, func(d *cellDirty) {
		for _, p := range pools {
			d.pools[p] = true
		}
	})
}

// touchSubscriptions records that the transaction changed these subscriptions of a reseller
// (quantity, term, status, reservations, changes): their pools as of the commit are refreshed.
func (s *Store) touchSubscriptions(ctx context.Context, now time.Time, resellerID int64, ids ...int64) error {
	return s.touched(ctx, now, func(d *cellDirty) {
		for _, id := range ids {
			d.subs[id] = resellerID
		}
	})
}

// touchEnrollment records the pools the enrollment's subscriptions are in now and, through
// touchSubscriptions, those they are in at the commit: call it before a write that moves them
// (an association onto an account).
func (s *Store) touchEnrollment(ctx context.Context, now time.Time, resellerID, enrollmentID int64) error {
	var subs []Subscription
	if err := s.ctx(ctx).Select("id").Where("reseller_id = ? AND enrollment_id = ?", resellerID, enrollmentID).Find(&subs).Error; err != nil {
		return err
	}
	ids := make([]int64, len(subs))
	for i, sub := range subs {
		ids[i] = sub.ID
	}
	pools, err := s.poolsOfSubscriptions(ctx, resellerID, ids)
	if err != nil {
		return err
	}
	if err := s.touchPools(ctx, now, pools...); err != nil {
		return err
	}
	return s.touchSubscriptions(ctx, now, resellerID, ids...)
}

func (s *Store) touched(ctx context.Context, now time.Time, add func(*cellDirty)) error {
	if s.cells != nil {
		add(s.cells)
		s.cells.stamp(now)
		return nil
	}
	d := newCellDirty()
	add(d)
	d.stamp(now)
	if err := s.InTx(ctx, func(tx *Store) error { return tx.invalidateCells(ctx, d) }); err != nil {
		return err
	}
	s.refreshDirty(ctx, d)
	return nil
}

func newCellDirty() *cellDirty {
	return &cellDirty{pools: map[cellPool]bool{}, subs: map[int64]int64{}}
}

// poolsOfSubscriptions reads the pools of a reseller's subscriptions.
func (s *Store) poolsOfSubscriptions(ctx context.Context, resellerID int64, ids []int64) ([]cellPool, error) {
	var out []cellPool
	for chunk := range slices.Chunk(ids, 500) {
		var rows []struct {
			Acc int64  `gorm:"column:acc"`
			SKU string `gorm:"column:sku"`
		}
		err := s.ctx(ctx).Raw(`SELECT DISTINCT COALESCE(`+accountOfSubSQL+`, -s.reseller_id) AS acc, s.sku AS sku FROM subscriptions s
			LEFT JOIN enrollments e ON e.reseller_id = s.reseller_id AND e.id = s.enrollment_id
			WHERE s.reseller_id = ? AND s.id IN ?`, resellerID, chunk).Scan(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, cellPool{ResellerID: resellerID, Account: r.Acc, SKU: r.SKU})
		}
	}
	return out, nil
}

// invalidateCells resolves the dirty subscriptions to their pools and marks every dirty pool
// invalid, in the writing transaction (see the file comment).
func (s *Store) invalidateCells(ctx context.Context, d *cellDirty) error {
	byReseller := map[int64][]int64{}
	for id, r := range d.subs {
		byReseller[r] = append(byReseller[r], id)
	}
	for r, ids := range byReseller {
		pools, err := s.poolsOfSubscriptions(ctx, r, ids)
		if err != nil {
			return err
		}
		for _, p := range pools {
			d.pools[p] = true
		}
	}
	for _, p := range sortedPools(d.pools) {
		res := p.where(s.ctx(ctx).Model(&LicenseCellPool{})).Updates(map[string]any{"valid_until": cellsInvalid, "revision": gorm.Expr("revision + 1")})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 { // a new pool: its row says it has no valid cells yet
			row := LicenseCellPool{ResellerID: p.ResellerID, AccountKey: p.Account, SKU: p.SKU, ValidFrom: cellsInvalid, ValidUntil: cellsInvalid}
			if err := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedPools(set map[cellPool]bool) []cellPool {
	out := make([]cellPool, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.SortFunc(out, comparePools)
	return out
}

// refreshDirty recomputes the pools a committed transaction changed, at its instant. A failure
// leaves them invalid for the sweep; it is logged, not returned: the write has committed.
func (s *Store) refreshDirty(ctx context.Context, d *cellDirty) {
	if d == nil || len(d.pools) == 0 {
		return
	}
	if err := s.refreshPools(ctx, sortedPools(d.pools), d.at); err != nil {
		s.logger().WarnContext(ctx, "license cells not refreshed; the sweep will", "pools", len(d.pools), "err", err)
	}
}

// refreshPools recomputes the cells of pools as of now, in one transaction, after locking the
// pools' rows (see the file comment).
func (s *Store) refreshPools(ctx context.Context, pools []cellPool, now time.Time) error {
	return s.InTx(ctx, func(tx *Store) error {
		for _, p := range pools {
			if err := p.where(tx.ctx(ctx).Model(&LicenseCellPool{})).Update("revision", gorm.Expr("revision + 1")).Error; err != nil {
				return err
			}
		}
		subs, err := tx.subscriptionsOfPools(ctx, pools)
		if err != nil {
			return err
		}
		cells, err := tx.computeCells(ctx, SummaryFilter{pools: pools, poolSubs: subs}, now)
		if err != nil {
			return err
		}
		old, err := tx.storedCellsOf(ctx, pools) // read after the locks: the latest (see the file comment)
		if err != nil {
			return err
		}
		sums := map[cellSumKey]*cellSumValues{}
		cellSums(sums, old, -1)
		for _, p := range pools {
			if c, ok := cells[p]; !ok {
				cells[p] = nil // no cell left: only its row, valid
			} else {
				cellSums(sums, c.cells, 1)
			}
		}
		if err := tx.addCellSums(ctx, sums); err != nil {
			return err
		}
		for chunk := range slices.Chunk(pools, 100) {
			for _, table := range []string{"license_cells", "license_cell_pools"} {
				var b sqlBuilder
				b.add("DELETE FROM " + table + " WHERE ")
				poolsSQL(&b, chunk, "reseller_id", "account_key", "sku")
				if err := tx.ctx(ctx).Exec(b.String(), b.args...).Error; err != nil {
					return err
				}
			}
		}
		return tx.writeCells(ctx, cells, now)
	})
}

// subscriptionsOfPools lists the ids of the pools' subscriptions, through the indexes on
// enrollments' accounts and on subscriptions' enrollments and direct accounts, so that a refresh
// reads its pools' subscriptions only, not its reseller's.
func (s *Store) subscriptionsOfPools(ctx context.Context, pools []cellPool) ([]int64, error) {
	var out []int64
	for _, p := range pools {
		var ids []int64
		var err error
		if p.Account > 0 {
			var subs []Subscription
			subs, err = s.accountSubscriptions(ctx, p.ResellerID, p.Account, &p.SKU)
			for _, sub := range subs {
				ids = append(ids, sub.ID)
			}
		} else { // the enrollments not activated, and any subscription on no account at all
			err = s.ctx(ctx).Raw(`SELECT s.id FROM enrollments e JOIN subscriptions s ON s.reseller_id = ? AND s.enrollment_id = e.id AND s.sku = ?
				WHERE e.reseller_id = ? AND e.account_id IS NULL
				UNION ALL
				SELECT s.id FROM subscriptions s WHERE s.reseller_id = ? AND s.direct_account_id IS NULL AND s.enrollment_id IS NULL AND s.sku = ?`,
				p.ResellerID, p.SKU, p.ResellerID, p.ResellerID, p.SKU).Scan(&ids).Error
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ids...)
	}
	return out, nil
}

// poolsSQL is the condition "one of pools" on the pool's columns.
func poolsSQL(b *sqlBuilder, pools []cellPool, reseller, account, sku string) {
	b.add("(")
	for i, p := range pools {
		if i > 0 {
			b.add(" OR ")
		}
		b.add("("+reseller+" = ? AND "+account+" = ? AND "+sku+" = ?)", p.ResellerID, p.Account, p.SKU)
	}
	b.add(")")
}

// computedPool is a pool's cells as of an instant, with the interval they hold for.
type computedPool struct {
	cells      []LicenseCell
	validFrom  time.Time
	validUntil time.Time
}

// computeCells runs the slow path (per-subscription SQL, all eight dimensions) over the pools f
// selects, as of now, and bounds each pool's validity (poolValidity).
func (s *Store) computeCells(ctx context.Context, f SummaryFilter, now time.Time) (map[cellPool]*computedPool, error) {
	cat, err := s.summaryCatalog(ctx)
	if err != nil {
		return nil, err
	}
	c := Caller{Role: RoleOperator}
	if rs := cellResellers(f); len(rs) == 1 { // one reseller's pools: its scope narrows every scan
		c = Caller{Role: RoleReader, ResellerID: rs[0]}
	}
	sqlText, args := summarySQL(c, cat, licensing.SummaryDimensions, f, now, SummaryPage{First: 1 << 30}, true)
	var rows []summaryScan
	if err := s.ctx(ctx).Raw(sqlText, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	cat.name(rows)
	out := map[cellPool]*computedPool{}
	for _, r := range rows {
		if r.Cells == 0 || r.GReseller == nil || r.GSKU == nil {
			continue // the empty selection's total row; a SKU outside the catalog (none is)
		}
		k := cellPool{ResellerID: *r.GReseller, Account: -*r.GReseller, SKU: *r.GSKU}
		if r.GAccount != nil {
			k.Account = *r.GAccount
		}
		p := out[k]
		if p == nil {
			p = &computedPool{}
			out[k] = p
		}
		p.cells = append(p.cells, LicenseCell{ResellerID: k.ResellerID, AccountKey: k.Account, SKU: k.SKU, CellNo: len(p.cells) + 1,
			CustomerID: r.GCustomer, AgreementID: r.GAgreement, Program: r.GProgram, EnrollmentID: r.GEnrollment, Family: r.GFamily,
			Licensed: r.Licensed, Pending: r.Pending, InGrace: r.InGrace, ReservedNotBilled: r.ReservedNotBilled, Assigned: r.Assigned, Unassignable: r.Unassignable})
	}
	until, err := s.poolValidity(ctx, f, now)
	if err != nil {
		return nil, err
	}
	for k, p := range out {
		p.validFrom, p.validUntil = now.UTC(), cellsForever
		if u, ok := until[k]; ok {
			p.validUntil = u
		}
	}
	return out, nil
}

// cellResellers are the resellers a refresh's filter names.
func cellResellers(f SummaryFilter) []int64 {
	out := slices.Clone(f.ResellerIDs)
	for _, p := range f.pools {
		if !slices.Contains(out, p.ResellerID) {
			out = append(out, p.ResellerID)
		}
	}
	return out
}

// writeCells inserts the pools' rows and cells (their old rows deleted by the caller). A nil
// entry is a pool with no cell left, valid from now on.
func (s *Store) writeCells(ctx context.Context, cells map[cellPool]*computedPool, now time.Time) error {
	var pools []LicenseCellPool
	var rows []LicenseCell
	for k, p := range cells {
		if p == nil {
			p = &computedPool{validFrom: now.UTC(), validUntil: cellsForever}
		}
		pools = append(pools, LicenseCellPool{ResellerID: k.ResellerID, AccountKey: k.Account, SKU: k.SKU, ValidFrom: p.validFrom, ValidUntil: p.validUntil})
		rows = append(rows, p.cells...)
	}
	if len(pools) > 0 {
		if err := s.ctx(ctx).CreateInBatches(pools, 500).Error; err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		return s.ctx(ctx).CreateInBatches(rows, 500).Error
	}
	return nil
}

// poolValidity bounds the validity of the cells of the pools f selects, computed at now: per
// pool with something due, licensing.NextSummaryChange of its subscriptions, their changes
// whose licenses may still be pending and their reservations not yet billed.
func (s *Store) poolValidity(ctx context.Context, f SummaryFilter, now time.Time) (map[cellPool]time.Time, error) {
	var b sqlBuilder
	b.add(`SELECT s.*, COALESCE(` + accountOfSubSQL + `, -s.reseller_id) AS pool_account FROM subscriptions s
	LEFT JOIN enrollments e ON e.reseller_id = s.reseller_id AND e.id = s.enrollment_id WHERE 1 = 1`)
	summaryPushdown(&b, nil, f, "s.reseller_id", accountOfSubSQL, "s.sku")
	var subs []struct {
		Subscription
		PoolAccount int64 `gorm:"column:pool_account"`
	}
	if err := s.ctx(ctx).Raw(b.String(), b.args...).Scan(&subs).Error; err != nil {
		return nil, err
	}
	resellers := map[int64]bool{}
	for _, sub := range subs {
		resellers[sub.ResellerID] = true
	}
	var ids []int64 // a refresh's few subscriptions; none: the resellers' (a rebuild)
	if len(f.pools) > 0 {
		ids = f.poolSubs
	}
	changes, billing, err := s.dueFacts(ctx, slices.Collect(maps.Keys(resellers)), ids, now)
	if err != nil {
		return nil, err
	}
	held := map[cellPool][]licensing.HeldSubscription{}
	dates := map[cellPool][]licensing.Date{}
	for _, sub := range subs {
		k := cellPool{ResellerID: sub.ResellerID, Account: sub.PoolAccount, SKU: sub.SKU}
		held[k] = append(held[k], licensing.HeldSubscription{ID: sub.ID, Quantity: sub.Quantity, Term: sub.Term(), Changes: changes[sub.ID]})
		dates[k] = append(dates[k], billing[sub.ID]...)
	}
	out := map[cellPool]time.Time{}
	for k, hs := range held {
		if next, ok := licensing.NextSummaryChange(hs, dates[k], now); ok {
			out[k] = next.UTC()
		}
	}
	return out, nil
}

// dueFacts reads, for the resellers (and only the subscriptions ids, if any), the changes whose
// licenses are still pending at now or later (R-ORD-5) and the billing dates of reservations
// not billed by now (R-RES-1), by subscription: few recent rows (subscription_changes_effective
// or _sub, reservations_subscription).
func (s *Store) dueFacts(ctx context.Context, resellers, ids []int64, now time.Time) (map[int64][]licensing.QuantityChange, map[int64][]licensing.Date, error) {
	changes, billing := map[int64][]licensing.QuantityChange{}, map[int64][]licensing.Date{}
	if len(resellers) == 0 {
		return changes, billing, nil
	}
	onSubs := func(q *gorm.DB) *gorm.DB {
		if ids != nil {
			return q.Where("subscription_id IN ?", append([]int64{0}, ids...))
		}
		return q
	}
	var chs []SubscriptionChange
	if err := onSubs(s.ctx(ctx).Where("effective_at > ? AND reseller_id IN ? AND delta > 0", s.instant(now.Add(-licensing.OrderPendingPeriod)), resellers)).
		Find(&chs).Error; err != nil {
		return nil, nil, err
	}
	for _, ch := range chs {
		changes[ch.SubscriptionID] = append(changes[ch.SubscriptionID], licensing.QuantityChange{Delta: ch.Delta, EffectiveAt: ch.EffectiveAt, FromOrder: ch.Cause == CauseOrder})
	}
	var rs []Reservation
	if err := onSubs(s.ctx(ctx).Select("subscription_id", "billing_date").Where("reseller_id IN ? AND "+notBilledSQL, resellers, licensing.DateOf(now))).Find(&rs).Error; err != nil {
		return nil, nil, err
	}
	for _, r := range rs {
		billing[r.SubscriptionID] = append(billing[r.SubscriptionID], r.BillingDate)
	}
	return changes, billing, nil
}

// ---- backfill, sweep, check and repair ----

// RebuildLicenseCells recomputes every pool's cells as of now from the ledger, one reseller per
// transaction, then records that the rollup is built: the backfill after migrating (Migrate
// runs it once, under the migration lock), and the repair. A reseller's transaction deletes its
// rows first, so it waits for the writes that invalidated them and its snapshot follows them.
func (s *Store) RebuildLicenseCells(ctx context.Context, now time.Time) error {
	var resellers []int64
	if err := s.ctx(ctx).Model(&Reseller{}).Order("id").Pluck("id", &resellers).Error; err != nil {
		return err
	}
	for _, r := range resellers {
		err := s.InTx(ctx, func(tx *Store) error {
			for _, row := range []any{&LicenseCellPool{}, &LicenseCell{}, &LicenseCellSum{}} {
				if err := tx.ctx(ctx).Where("reseller_id = ?", r).Delete(row).Error; err != nil {
					return err
				}
			}
			cells, err := tx.computeCells(ctx, SummaryFilter{ResellerIDs: []int64{r}}, now)
			if err != nil {
				return err
			}
			sums := map[cellSumKey]*cellSumValues{}
			for _, p := range cells {
				cellSums(sums, p.cells, 1)
			}
			if err := tx.addCellSums(ctx, sums); err != nil {
				return err
			}
			return tx.writeCells(ctx, cells, now)
		})
		if err != nil {
			return wrap("rebuild license cells", err)
		}
	}
	return s.ctx(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&cellsBuilt{ID: 1, BuiltAt: now.UTC()}).Error
}

// licenseCellsBuilt tells whether the backfill ran.
func (s *Store) licenseCellsBuilt(ctx context.Context) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&cellsBuilt{}).Count(&n).Error
	return n > 0, err
}

// SweepLicenseCells refreshes, as of now, at most limit pools whose cells are no longer valid
// (valid_until reached: a term ended, licenses became available... or a refresh after a write
// failed), a few pools per transaction, most overdue first. It returns how many it refreshed.
func (s *Store) SweepLicenseCells(ctx context.Context, now time.Time, limit int) (int, error) {
	var due []LicenseCellPool
	if err := s.ctx(ctx).Select("reseller_id", "account_key", "sku").Where("valid_until <= ?", s.instant(now)).
		Order("valid_until").Limit(limit).Find(&due).Error; err != nil {
		return 0, err
	}
	pools := make([]cellPool, len(due))
	for i, c := range due {
		pools[i] = cellPool{ResellerID: c.ResellerID, Account: c.AccountKey, SKU: c.SKU}
	}
	slices.SortFunc(pools, comparePools)
	n := 0
	for chunk := range slices.Chunk(pools, 20) {
		if err := s.refreshPools(ctx, chunk, now); err != nil {
			return n, err
		}
		n += len(chunk)
	}
	return n, nil
}

// CellsDrift is what CheckLicenseCells found: pools whose stored cells claim to hold at the
// instant but differ from the ledger's.
type CellsDrift struct {
	Pools    int      // pools checked
	Drifted  int      // of them, differing; and one per reseller whose sums (cells_sums.go) differ from its cells
	Examples []string // a few, described
	Built    bool     // the backfill ran
}

// CheckLicenseCells recomputes every pool as of now with the slow path and compares it with the
// stored cells that claim to be valid at now (a pool not valid then is known stale: the summary
// does not use it, the sweep refreshes it). Run it when no write is in flight, or expect a
// write committed between the two reads to show as drift.
func (s *Store) CheckLicenseCells(ctx context.Context, now time.Time, examples int) (*CellsDrift, error) {
	out := &CellsDrift{}
	var err error
	if out.Built, err = s.licenseCellsBuilt(ctx); err != nil {
		return nil, err
	}
	var resellers []int64
	if err := s.ctx(ctx).Model(&Reseller{}).Order("id").Pluck("id", &resellers).Error; err != nil {
		return nil, err
	}
	for _, r := range resellers {
		if err := s.checkReseller(ctx, r, now, examples, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) checkReseller(ctx context.Context, r int64, now time.Time, examples int, out *CellsDrift) error {
	fresh, err := s.computeCells(ctx, SummaryFilter{ResellerIDs: []int64{r}}, now)
	if err != nil {
		return err
	}
	var stored []LicenseCell
	if err := s.ctx(ctx).Where("reseller_id = ?", r).Order("account_key, sku, cell_no").Find(&stored).Error; err != nil {
		return err
	}
	var pools []LicenseCellPool
	if err := s.ctx(ctx).Where("reseller_id = ?", r).Find(&pools).Error; err != nil {
		return err
	}
	have := map[cellPool][]LicenseCell{}
	valid := map[cellPool]bool{}
	for _, c := range stored {
		k := cellPool{ResellerID: c.ResellerID, Account: c.AccountKey, SKU: c.SKU}
		have[k] = append(have[k], c)
	}
	for _, p := range pools {
		valid[cellPool{ResellerID: p.ResellerID, Account: p.AccountKey, SKU: p.SKU}] = !p.ValidFrom.After(now) && p.ValidUntil.After(now)
	}
	diff, err := s.sumsDiff(ctx, r, stored, examples)
	if err != nil {
		return err
	}
	if diff != "" {
		out.Drifted++
		if len(out.Examples) < examples {
			out.Examples = append(out.Examples, fmt.Sprintf("reseller %d: %s", r, diff))
		}
	}
	seen := map[cellPool]bool{}
	for k := range fresh {
		seen[k] = true
	}
	for k := range have {
		seen[k] = true
	}
	for _, k := range sortedPools(seen) {
		out.Pools++
		var want []LicenseCell
		if p := fresh[k]; p != nil {
			want = p.cells
		}
		if v, ok := valid[k]; ok && !v {
			continue
		}
		if diff := cellsDiff(have[k], want, !valid[k]); diff != "" {
			out.Drifted++
			if len(out.Examples) < examples {
				out.Examples = append(out.Examples, fmt.Sprintf("reseller %d account %d SKU %s: %s", k.ResellerID, k.Account, k.SKU, diff))
			}
		}
	}
	return nil
}

// cellsDiff describes how stored cells differ from the ledger's, "" if they do not. missing:
// the pool has no row at all (it is summed as if it had no cell).
func cellsDiff(got, want []LicenseCell, missing bool) string {
	key := func(c LicenseCell) string {
		return fmt.Sprintf("cus=%s agr=%s prog=%s enr=%s fam=%s lic=%d pend=%d grace=%d rsv=%d asg=%d unasg=%d", idText(c.CustomerID), idText(c.AgreementID),
			text(c.Program), idText(c.EnrollmentID), text(c.Family), c.Licensed, c.Pending, c.InGrace, c.ReservedNotBilled, c.Assigned, c.Unassignable)
	}
	g, w := make([]string, len(got)), make([]string, len(want))
	for i, c := range got {
		g[i] = key(c)
	}
	for i, c := range want {
		w[i] = key(c)
	}
	slices.Sort(g)
	slices.Sort(w)
	if slices.Equal(g, w) {
		return ""
	}
	if missing {
		return fmt.Sprintf("no rollup row; ledger has %d cells", len(w))
	}
	return fmt.Sprintf("stored %v, ledger %v", g, w)
}
