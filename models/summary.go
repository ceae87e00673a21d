package models

// The license summary for BI (R-BI-1, R-BI-2): one SQL aggregation in the database. It decides
// for speed what licensing.Summarize decides over licensing.SummaryCellAt of every pool (and
// statusSQL what SubscriptionTerm.StatusAt decides, notBilledSQL what NotYetBilled decides);
// TestLicenseSummaryMatchesTheRules compares the two on random data, grouped and filtered by
// every dimension. R-BI-2 itself, computing in the database and staying fast at a million
// assignments, is this file's and the benchmarks' (summary_bench_test.go), not licensing's.
//
// Cells. licensing.SummaryRow sums right only over licence pools (a SKU on an account):
// Unassignable keeps Available from letting a spare license of one pool cover a user of
// another. But a pool spans enrollments, agreements, programs and even customers (an account
// holds many enrollments, R-ENR-1, and direct purchases), while assignments belong to the
// pool, not to a subscription. So the cell, the smallest unit summed, is one subscription,
// and the pool's assigned users are allocated to its subscriptions:
//
//   - the pool's subscriptions are ordered ACTIVE first, then IN_GRACE, then the rest, each
//     by id; users fill them in that order up to their licensed part, or their quantity in
//     grace (ACTIVE and IN_GRACE subscriptions cover users, R-LIC-2; licenses still pending,
//     R-ORD-5, and the other subscriptions cover none);
//   - users beyond every cover go to one extra cell of the pool with no subscription (no
//     enrollment, agreement or program; the account's customer): they are the users in
//     conflict, covered by no enrollment. The same cell holds a pool's users when it has
//     no subscription at all.
//
// Each cell is then licensing.NewSummaryCell(licensed, pending, inGrace, reserved, allocated). A
// pool's cells add up exactly to licensing.SummaryCellAt of the pool, so any grouping, by
// pool dimensions (reseller, account, SKU, family) or by subscription dimensions (customer,
// agreement, program, enrollment), sums to the same totals and Available never counts a
// license of one pool for a user of another.
//
// Two forms of one statement. Grouped and filtered on pool dimensions only, the pools
// themselves are the cells (no allocation needed): subscriptions UNION ALL the pool
// counters of license_pools, one GROUP BY per pool, one per group. With a subscription
// dimension the allocation runs as window functions over the same rows. The pools' users
// come from license_pools, kept with every assignment change, not from counting a million
// assignments (R-BI-2).
//
// Subscriptions of an enrollment not activated yet are on no account: per reseller and SKU
// they form one pool with no account (ACCOUNT nil), licensed and available, nobody assigned.
//
// Quantities are the subscriptions' current quantities (see assignments.go); asOf decides
// every status, exactly as SubscriptionTerm.StatusAt (statusSQL), and which licenses are still
// pending, as HeldSubscription.PendingAt (pendingSQL: the few recent subscription_changes, whose
// pending part enters as rows of their own rather than a join to every subscription).

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// SummaryFilter keeps the cells whose value of a dimension is in the list, for each
// non-empty list (R-BI-1). Cells with no value for a dimension (a direct purchase has no
// agreement, an enrollment not activated has no account) never match a filter on it.
type SummaryFilter struct {
	ResellerIDs   []int64
	CustomerIDs   []int64
	AgreementIDs  []int64
	Programs      []licensing.Program
	EnrollmentIDs []int64
	AccountIDs    []int64
	SKUs          []string
	Families      []licensing.Family
	// pools restricts the cells to these pools (the rollup's refresh, cells.go), whose
	// subscriptions are poolSubs: scans of subscriptions read those by id.
	pools    []cellPool
	poolSubs []int64
}

// SummaryPage pages the groups by position: Offset groups are skipped, First returned.
// Groups are few and recomputed on every call, so an offset over the stable group order
// costs nothing a keyset would save; the caller encodes it in an opaque cursor.
type SummaryPage struct {
	First  int
	Offset int
}

// SummaryGroupRow is one group of the summary: the values of the grouped dimensions (nil
// for a dimension not grouped, or for a group with no value there, e.g. AccountID of
// licenses on an enrollment not activated yet) and the sums.
type SummaryGroupRow struct {
	ResellerID   *int64
	CustomerID   *int64
	AgreementID  *int64
	Program      *licensing.Program
	EnrollmentID *int64
	AccountID    *int64
	SKU          *string
	Family       *licensing.Family
	// Licensed, InGrace, ReservedNotBilled, Assigned, Unassignable; Available() is what can
	// still be assigned (R-LIC-1).
	licensing.SummaryRow
}

// Keys returns the group's values of the dimensions in groupBy as licensing.Summarize names
// them: ids in decimal, "" for no value.
func (g SummaryGroupRow) Keys(groupBy []licensing.SummaryDimension) map[licensing.SummaryDimension]string {
	values := map[licensing.SummaryDimension]string{
		licensing.SummaryByReseller: idText(g.ResellerID), licensing.SummaryByCustomer: idText(g.CustomerID),
		licensing.SummaryByAgreement: idText(g.AgreementID), licensing.SummaryByProgram: text(g.Program),
		licensing.SummaryByEnrollment: idText(g.EnrollmentID), licensing.SummaryByAccount: idText(g.AccountID),
		licensing.SummaryBySKU: text(g.SKU), licensing.SummaryByFamily: text(g.Family),
	}
	out := map[licensing.SummaryDimension]string{}
	for _, d := range groupBy {
		out[d] = values[d]
	}
	return out
}

// idText is an id in decimal, "" for none.
func idText(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// text is a text value, "" for none.
func text[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// SummaryResult is one page of the summary.
type SummaryResult struct {
	GroupBy []licensing.SummaryDimension
	AsOf    time.Time
	// Groups are ordered by the grouped values in groupBy order (ids numerically, no value
	// first). Without groupBy there is one total group, or none when nothing matches.
	Groups      []SummaryGroupRow
	TotalGroups int
	HasNext     bool
}

// summaryAliases name the result columns, scanned into summaryScan.
var summaryAliases = map[licensing.SummaryDimension]string{
	licensing.SummaryByReseller:   "g_reseller",
	licensing.SummaryByCustomer:   "g_customer",
	licensing.SummaryByAgreement:  "g_agreement",
	licensing.SummaryByProgram:    "g_program_rank",
	licensing.SummaryByEnrollment: "g_enrollment",
	licensing.SummaryByAccount:    "g_account",
	licensing.SummaryBySKU:        "g_sku_rank",
	licensing.SummaryByFamily:     "g_family_rank",
}

type summaryScan struct {
	GReseller         *int64  `gorm:"column:g_reseller"`
	GCustomer         *int64  `gorm:"column:g_customer"`
	GAgreement        *int64  `gorm:"column:g_agreement"`
	GProgram          *string `gorm:"-"` // named from GProgramRank (summaryCatalogInfo.name)
	GProgramRank      *int    `gorm:"column:g_program_rank"`
	GEnrollment       *int64  `gorm:"column:g_enrollment"`
	GAccount          *int64  `gorm:"column:g_account"`
	GSKU              *string `gorm:"-"`
	GSKURank          *int    `gorm:"column:g_sku_rank"`
	GFamily           *string `gorm:"-"`
	GFamilyRank       *int    `gorm:"column:g_family_rank"`
	Licensed          int     `gorm:"column:licensed"`
	Pending           int     `gorm:"column:pending"`
	InGrace           int     `gorm:"column:in_grace"`
	ReservedNotBilled int     `gorm:"column:reserved_not_billed"`
	Assigned          int     `gorm:"column:assigned"`
	Unassignable      int     `gorm:"column:unassignable"`
	Cells             int     `gorm:"column:cells"`
	TotalGroups       int     `gorm:"column:total_groups"`
}

// LicenseSummary aggregates, as of asOf, licensed (ACTIVE, R-SUB-1), in-grace,
// reserved-not-yet-billed (R-RES-1: reservations billed after asOf's day on ACTIVE
// subscriptions), assigned and available quantities per group of groupBy, over the cells that
// match filter, within the caller's reseller (R-BI-1). One SQL statement computes it in the
// database; only the page's groups are read (R-BI-2). A dimension unknown or repeated in
// groupBy is INVALID on ["groupBy", i]; an unknown program or family in the filter is
// UNKNOWN_VALUE on ["filter", "programs"|"families", i]; a negative page is INVALID on
// ["first"] or ["after"].
func (s *Store) LicenseSummary(ctx context.Context, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time, p SummaryPage) (*SummaryResult, error) {
	ps := licensing.ValidateSummaryQuery(groupBy, f.Programs, f.Families)
	if p.First < 0 {
		ps.Add(licensing.CodeInvalid, "first must not be negative", "first")
	}
	if p.Offset < 0 {
		ps.Add(licensing.CodeInvalid, "the cursor is not valid", "after")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var out *SummaryResult
	err := s.aggregate(ctx, func() error {
		fast, err := s.cellsUsable(ctx, c, f, asOf)
		if err != nil {
			return err
		}
		if fast { // the rollup holds at asOf (cells.go)
			out, err = s.summaryFromCells(ctx, c, groupBy, f, asOf, p)
		} else {
			out, err = s.licenseSummary(ctx, c, groupBy, f, asOf, p, false)
		}
		return err
	})
	return out, err
}

// licenseSummary is LicenseSummary; cells forces the per-subscription form of summarySQL.
func (s *Store) licenseSummary(ctx context.Context, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time, p SummaryPage, cells bool) (*SummaryResult, error) {
	cat, err := s.summaryCatalog(ctx)
	if err != nil {
		return nil, err
	}
	sqlText, args := summarySQL(c, cat, groupBy, f, asOf, p, cells)
	return s.summaryPage(ctx, cat, sqlText, args, groupBy, asOf, p, func() (*SummaryResult, error) {
		return s.licenseSummary(ctx, c, groupBy, f, asOf, SummaryPage{First: 0}, cells)
	})
}

// summaryPage reads one page of groups with a windowed total (summarySQL, cellsSummarySQL).
// Past the last group the total has no row to ride on: all counts them alone.
func (s *Store) summaryPage(ctx context.Context, cat *summaryCatalogInfo, sqlText string, args []any, groupBy []licensing.SummaryDimension,
	asOf time.Time, p SummaryPage, all func() (*SummaryResult, error)) (*SummaryResult, error) {
	var rows []summaryScan
	if err := s.ctx(ctx).Raw(sqlText, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	cat.name(rows)
	out := summaryResult(rows, groupBy, asOf, p)
	if len(rows) == 0 && p.Offset > 0 {
		whole, err := all()
		if err != nil {
			return nil, err
		}
		out.TotalGroups = whole.TotalGroups
	}
	return out, nil
}

// summaryResult makes the page of the scanned groups (one more than the page: HasNext).
func summaryResult(rows []summaryScan, groupBy []licensing.SummaryDimension, asOf time.Time, p SummaryPage) *SummaryResult {
	out := &SummaryResult{GroupBy: slices.Clone(groupBy), AsOf: asOf, Groups: []SummaryGroupRow{}}
	for i, r := range rows {
		if r.Cells == 0 { // the total row of an empty selection (no GROUP BY)
			continue
		}
		out.TotalGroups = r.TotalGroups
		if i == p.First {
			out.HasNext = true
			break
		}
		g := SummaryGroupRow{ResellerID: r.GReseller, CustomerID: r.GCustomer, AgreementID: r.GAgreement, EnrollmentID: r.GEnrollment,
			AccountID: r.GAccount, SKU: r.GSKU,
			SummaryRow: licensing.SummaryRow{Licensed: r.Licensed, Pending: r.Pending, InGrace: r.InGrace, ReservedNotBilled: r.ReservedNotBilled,
				Assigned: r.Assigned, Unassignable: r.Unassignable}}
		g.Program, g.Family = (*licensing.Program)(r.GProgram), (*licensing.Family)(r.GFamily)
		out.Groups = append(out.Groups, g)
	}
	return out
}

// ---- SQL ----
//
// Portable SQL for MariaDB, MySQL 8 and SQLite: CTE-free derived tables, UNION ALL, CASE,
// window functions; instants and days are parameters. Every intermediate row is made of
// integers: SKUs travel as their rank in the catalog (kk) and an enrollment not activated
// as the pool key -reseller_id, so the temporary tables and sorts of a million-assignment
// store stay small and in memory (R-BI-2); names come back only in the final groups.

// summaryCatalogInfo maps SKU codes to their rank kk (1-based, in code order, so ordering by
// kk is ordering by code) and families.
type summaryCatalogInfo struct {
	codes       []string // by kk-1
	families    []string // by kk-1
	familyNames []string // distinct, sorted: a family's rank is its index + 1
}

// name fills the SKU, program and family of scanned groups from the ranks the SQL returns:
// integers keep the groups' temporary tables small (R-BI-2).
func (cat *summaryCatalogInfo) name(rows []summaryScan) {
	at := func(names []string, rank *int) *string {
		if rank == nil || *rank < 1 || *rank > len(names) {
			return nil
		}
		return &names[*rank-1]
	}
	for i := range rows {
		r := &rows[i]
		r.GSKU, r.GProgram, r.GFamily = at(cat.codes, r.GSKURank), at(summaryPrograms, r.GProgramRank), at(cat.familyNames, r.GFamilyRank)
	}
}

// familyRankSQL is the rank in familyNames of the family of the SKU rank col.
func (cat *summaryCatalogInfo) familyRankSQL(col string) string {
	var b strings.Builder
	b.WriteString("(CASE " + col)
	for i, f := range cat.families {
		fmt.Fprintf(&b, " WHEN %d THEN %d", i+1, slices.Index(cat.familyNames, f)+1)
	}
	b.WriteString(" END)")
	return b.String()
}

// summaryCatalog reads the catalog (a handful of rows). Every stored SKU is in it: orders,
// direct purchases and assignments check the catalog, which is only ever added to. A SKU
// outside it would be summed under a nil SKU.
func (s *Store) summaryCatalog(ctx context.Context) (*summaryCatalogInfo, error) {
	var rows []SKU
	if err := s.ctx(ctx).Order("code").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := &summaryCatalogInfo{}
	for _, k := range rows {
		out.codes = append(out.codes, k.Code)
		out.families = append(out.families, string(k.Family))
		if !slices.Contains(out.familyNames, string(k.Family)) {
			out.familyNames = append(out.familyNames, string(k.Family))
		}
	}
	slices.Sort(out.familyNames)
	return out, nil
}

func sqlQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// kkSQL is the rank of the SKU column col.
func (cat *summaryCatalogInfo) kkSQL(col string) string {
	var b strings.Builder
	b.WriteString("(CASE " + col)
	for i, code := range cat.codes {
		fmt.Fprintf(&b, " WHEN %s THEN %d", sqlQuote(code), i+1)
	}
	b.WriteString(" ELSE 0 END)")
	return b.String()
}

// ranks returns the ranks of the SKUs that satisfy keep (for filters on SKU or family).
func (cat *summaryCatalogInfo) ranks(keep func(code, family string) bool) []int {
	out := []int{-1} // never empty: an unknown code matches nothing
	for i := range cat.codes {
		if keep(cat.codes[i], cat.families[i]) {
			out = append(out, i+1)
		}
	}
	return out
}

// poolDimension tells the dimensions that are the same for a whole pool: grouping and
// filtering by them alone needs no allocation of users to subscriptions.
func poolDimension(d licensing.SummaryDimension) bool {
	switch d {
	case licensing.SummaryByReseller, licensing.SummaryByAccount, licensing.SummaryBySKU, licensing.SummaryByFamily:
		return true
	}
	return false
}

// ---- per pool: the summary on pool dimensions, and AccountsWithConflicts ----

// poolAggregateSQL writes the pools as of asOf, one row each, in the columns
//
//	acc, kk, [r,] lic, pend, grace, rsv (0), n
//
// acc is the account (-reseller for licenses on no account), lic, pend and grace the ACTIVE
// quantity on the account, the ACTIVE quantity still pending and the IN_GRACE quantity (R-SUB-1,
// R-ORD-5, R-LIC-2), n the users. The subscriptions (their status as of asOf evaluated once
// each) UNION ALL the counters of license_pools, then one GROUP BY over integer keys: a full
// outer join of the two without a join; the pending part of a subscription is a third kind of
// row (stPendingPart). Only what the caller needs travels: r when withReseller, nothing for
// reservations (reservedRows adds them after, they need no pool).
func poolAggregateSQL(b *sqlBuilder, c Caller, cat *summaryCatalogInfo, f SummaryFilter, asOf time.Time, withReseller bool) {
	r, rMax := "", ""
	if withReseller {
		r, rMax = "s.reseller_id AS r, ", "MAX(u.r) AS r, "
	}
	st := statusSQL("s", asOf)
	b.add(`SELECT u.acc, u.kk, `+rMax+`SUM(CASE WHEN u.q > 0 AND u.st = `+stActive+` THEN u.q WHEN u.st = `+stPendingPart+` THEN -u.q ELSE 0 END) AS lic,
		SUM(CASE WHEN u.st = `+stPendingPart+` THEN u.q ELSE 0 END) AS pend,
		SUM(CASE WHEN u.q > 0 AND u.st = `+stInGrace+` THEN u.q ELSE 0 END) AS grace, 0 AS rsv, MAX(u.n) AS n
	FROM (
	SELECT COALESCE(`+accountOfSubSQL+`, -s.reseller_id) AS acc, `+cat.kkSQL("s.sku")+` AS kk, `+r+st.sql+` AS st, s.quantity AS q, 0 AS n
	FROM subscriptions s
	LEFT JOIN enrollments e ON e.reseller_id = s.reseller_id AND e.id = s.enrollment_id
	WHERE 1 = 1`, st.args...)
	b.scope(c, "s.")
	summaryPushdown(b, cat, f, "s.reseller_id", accountOfSubSQL, "s.sku")
	// The pending part of the few ACTIVE subscriptions with licenses not yet available: rows of
	// their own (status stPendingPart, quantity the pending part), so the scan above needs no
	// join and no wider rows (R-BI-2).
	st = statusSQL("s", asOf)
	b.add(`
	UNION ALL
	SELECT COALESCE(` + accountOfSubSQL + `, -s.reseller_id), ` + cat.kkSQL("s.sku") + `, ` + r + stPendingPart + `, ` + pendingOfSubSQL + `, 0
	FROM (`)
	pendingSQL(b, c, asOf)
	b.add(`) pc
	JOIN subscriptions s ON s.reseller_id = pc.reseller_id AND s.id = pc.subscription_id
	LEFT JOIN enrollments e ON e.reseller_id = s.reseller_id AND e.id = s.enrollment_id
	WHERE s.quantity > 0 AND `+st.sql+` = `+stActive, st.args...)
	b.scope(c, "s.")
	summaryPushdown(b, cat, f, "s.reseller_id", accountOfSubSQL, "s.sku")
	b.add(`
	UNION ALL
	SELECT p.account_id, ` + cat.kkSQL("p.sku") + `, ` + strings.Replace(r, "s.reseller_id AS r", "p.reseller_id", 1) + `-1, 0, p.assigned
	FROM license_pools p WHERE p.assigned > 0`)
	b.scope(c, "p.")
	summaryPushdown(b, cat, f, "p.reseller_id", "p.account_id", "p.sku")
	b.add(`
	) u GROUP BY u.acc, u.kk`)
}

// pendingJoinSQL joins to the subscriptions s their licenses not yet available as of asOf,
// pc.pq (NULL for none): what orders added within the pending period before asOf and what
// other changes add from after it (licensing.PendingAdded; QuantityChange.AvailableAt). Those
// are few recent rows, found by subscription_changes_effective.
func pendingJoinSQL(b *sqlBuilder, c Caller, asOf time.Time) {
	b.add(`
	LEFT JOIN (`)
	pendingSQL(b, c, asOf)
	b.add(`) pc ON pc.reseller_id = s.reseller_id AND pc.subscription_id = s.id`)
}

// pendingSQL selects, per subscription with some, the licenses changes added that are not
// available as of asOf (pendingJoinSQL): reseller_id, subscription_id, pq.
func pendingSQL(b *sqlBuilder, c Caller, asOf time.Time) {
	asOf = asOf.UTC()
	b.add(`SELECT reseller_id, subscription_id, SUM(delta) AS pq FROM subscription_changes
		WHERE effective_at > ? AND delta > 0 AND (cause = ? OR effective_at > ?)`, asOf.Add(-licensing.OrderPendingPeriod), CauseOrder, asOf)
	b.scope(c, "")
	b.add(` GROUP BY reseller_id, subscription_id`)
}

// pendingOfSubSQL is the pending part of subscription s (licensing.PendingPart of pc.pq): the
// licenses it holds that are not yet available; callers apply it to ACTIVE subscriptions only.
const pendingOfSubSQL = `(CASE WHEN COALESCE(pc.pq, 0) < s.quantity THEN COALESCE(pc.pq, 0) ELSE s.quantity END)`

// reservedRows writes, in the columns of poolAggregateSQL, the reservations billed after
// asOf's day on ACTIVE subscriptions, at most the subscription's licensed part (R-RES-1,
// SummaryCellAt). A sum needs no pool, so these few rows join after the pools' GROUP BY.
func reservedRows(b *sqlBuilder, c Caller, cat *summaryCatalogInfo, f SummaryFilter, asOf time.Time, withReseller bool) {
	r := ""
	if withReseller {
		r = "s.reseller_id, "
	}
	st := statusSQL("s", asOf)
	b.add(`SELECT COALESCE(`+accountOfSubSQL+`, -s.reseller_id), `+cat.kkSQL("s.sku")+`, `+r+`0, 0, 0,
		CASE WHEN rv.q < s.quantity - `+pendingOfSubSQL+` THEN rv.q ELSE s.quantity - `+pendingOfSubSQL+` END, 0
	FROM (SELECT reseller_id, subscription_id, SUM(quantity) AS q FROM reservations WHERE `+notBilledSQL, licensing.DateOf(asOf))
	b.scope(c, "")
	b.add(` GROUP BY reseller_id, subscription_id) rv
	JOIN subscriptions s ON s.reseller_id = rv.reseller_id AND s.id = rv.subscription_id`)
	pendingJoinSQL(b, c, asOf)
	b.add(`
	LEFT JOIN enrollments e ON e.reseller_id = s.reseller_id AND e.id = s.enrollment_id
	WHERE s.quantity > 0 AND `+st.sql+` = `+stActive, st.args...)
	b.scope(c, "s.")
	summaryPushdown(b, cat, f, "s.reseller_id", accountOfSubSQL, "s.sku")
}

// ---- per subscription: the summary on customer, agreement, program or enrollment ----

// cellKeys tells which subscription dimensions the cells must carry: those grouped or
// filtered on. Every other column stays out of the rows the window functions sort.
type cellKeys struct{ reseller, customer, agreement, program, enrollment bool }

func cellKeysOf(groupBy []licensing.SummaryDimension, f SummaryFilter) cellKeys {
	has := func(d licensing.SummaryDimension) bool { return slices.Contains(groupBy, d) }
	return cellKeys{
		reseller:   has(licensing.SummaryByReseller) || len(f.ResellerIDs) > 0,
		customer:   has(licensing.SummaryByCustomer) || len(f.CustomerIDs) > 0,
		agreement:  has(licensing.SummaryByAgreement) || len(f.AgreementIDs) > 0,
		program:    has(licensing.SummaryByProgram) || len(f.Programs) > 0,
		enrollment: has(licensing.SummaryByEnrollment) || len(f.EnrollmentIDs) > 0,
	}
}

// programs in name order: PROGRAM travels as its rank, like SKUs.
var summaryPrograms = func() []string {
	out := make([]string, len(licensing.Programs))
	for i, p := range licensing.Programs {
		out[i] = string(p)
	}
	slices.Sort(out)
	return out
}()

func programRankSQL(col string) string {
	var b strings.Builder
	b.WriteString("(CASE " + col)
	for i, p := range summaryPrograms {
		fmt.Fprintf(&b, " WHEN %s THEN %d", sqlQuote(p), i+1)
	}
	b.WriteString(" ELSE 0 END)")
	return b.String()
}

// cellColumns writes the optional key columns of a cell row; vals gives each one's SQL.
func (k cellKeys) columns(b *sqlBuilder, r, cus, agr, prog, enr string) {
	for _, c := range []struct {
		on        bool
		sql, name string
	}{{k.reseller, r, "r"}, {k.customer, cus, "cus"}, {k.agreement, agr, "agr"}, {k.program, prog, "prog"}, {k.enrollment, enr, "enr"}} {
		if c.on {
			b.add(c.sql + " AS " + c.name + ", ")
		}
	}
}

// rowKind is what summaryRows writes: a row per subscription, per subscription with reservations
// not yet billed, or per ACTIVE subscription with licenses still pending.
type rowKind int

const (
	subscriptionRows rowKind = iota
	reservationRows
	pendingRows
)

// summaryRows writes the cell rows of the subscriptions (rowKind), in the columns
//
//	acc, kk, [r, cus, agr, prog, enr,] sid, cls, part, cap, pend, rsv, n
//
// cls orders a pool's rows for the allocation: 0 ACTIVE, 1 IN_GRACE, 2 other, 3 a
// reservation row, 9 the pool's users (poolRows). Only ACTIVE and IN_GRACE cover users
// (cap, R-LIC-2); cap of a cls 0 row is its quantity (R-SUB-1), of a cls 1 row in grace. The
// few ACTIVE subscriptions with licenses still pending (R-ORD-5) have a second row, part 1,
// right after their own, whose cap is minus the pending part pend: their licensed part is the
// sum of the two, and the scan of every subscription needs no join (R-BI-2). Reservations show
// on ACTIVE subscriptions, at most their licensed part (SummaryCellAt).
func summaryRows(b *sqlBuilder, c Caller, cat *summaryCatalogInfo, k cellKeys, f SummaryFilter, asOf time.Time, kind rowKind) {
	st := func() string { // statusSQL of s, its arguments added where it is written
		frag := statusSQL("s", asOf)
		b.args = append(b.args, frag.args...)
		return frag.sql
	}
	b.add(`SELECT COALESCE(` + accountOfSubSQL + `, -s.reseller_id) AS acc, ` + cat.kkSQL("s.sku") + ` AS kk, `)
	k.columns(b, "s.reseller_id", "CASE WHEN s.enrollment_id IS NOT NULL THEN g.customer_id ELSE da.customer_id END",
		"e.agreement_id", programRankSQL("s.program"), "s.enrollment_id")
	switch kind {
	case reservationRows:
		b.add(`s.id AS sid, 3 AS cls, 0 AS part, 0 AS cap, 0 AS pend,
		CASE WHEN s.quantity > 0 AND ` + st() + ` = ` + stActive + ` THEN (CASE WHEN rv.q < s.quantity - ` + pendingOfSubSQL + ` THEN rv.q
			ELSE s.quantity - ` + pendingOfSubSQL + ` END) ELSE 0 END AS rsv, 0 AS n`)
		b.add(`
	FROM (SELECT reseller_id, subscription_id, SUM(quantity) AS q FROM reservations WHERE `+notBilledSQL, licensing.DateOf(asOf))
		b.scope(c, "")
		b.add(` GROUP BY reseller_id, subscription_id) rv
	JOIN subscriptions s ON s.reseller_id = rv.reseller_id AND s.id = rv.subscription_id`)
		pendingJoinSQL(b, c, asOf)
	case pendingRows:
		b.add(`s.id AS sid, 0 AS cls, 1 AS part, -` + pendingOfSubSQL + ` AS cap, ` + pendingOfSubSQL + ` AS pend, 0 AS rsv, 0 AS n
	FROM (`)
		pendingSQL(b, c, asOf)
		b.add(`) pc
	JOIN subscriptions s ON s.reseller_id = pc.reseller_id AND s.id = pc.subscription_id`)
	default:
		b.add(`s.id AS sid, (CASE ` + st() + ` WHEN ` + stActive + ` THEN 0 WHEN ` + stInGrace + ` THEN 1 ELSE 2 END) AS cls, 0 AS part,
		CASE WHEN s.quantity > 0 AND ` + st() + ` IN (` + stActive + `, ` + stInGrace + `) THEN s.quantity ELSE 0 END AS cap, 0 AS pend, 0 AS rsv, 0 AS n
	FROM subscriptions s`)
	}
	b.add(`
	LEFT JOIN enrollments e ON e.reseller_id = s.reseller_id AND e.id = s.enrollment_id`)
	if k.customer {
		b.add(`
	LEFT JOIN agreements g ON g.reseller_id = e.reseller_id AND g.id = e.agreement_id
	LEFT JOIN accounts da ON da.reseller_id = s.reseller_id AND da.id = s.direct_account_id`)
	}
	b.add(`
	WHERE 1 = 1`)
	if kind == pendingRows {
		b.add(` AND s.quantity > 0 AND ` + st() + ` = ` + stActive)
	}
	b.scope(c, "s.")
	summaryPushdown(b, cat, f, "s.reseller_id", accountOfSubSQL, "s.sku")
}

// poolRows writes one row per pool with users, from the counters in license_pools (not a
// count of a million assignments), in the columns of summaryRows; its customer is the
// account's.
func poolRows(b *sqlBuilder, c Caller, cat *summaryCatalogInfo, k cellKeys, f SummaryFilter) {
	b.add(`SELECT p.account_id AS acc, ` + cat.kkSQL("p.sku") + ` AS kk, `)
	k.columns(b, "p.reseller_id", "a.customer_id", "NULL", "NULL", "NULL")
	b.add(`0 AS sid, 9 AS cls, 0 AS part, 0 AS cap, 0 AS pend, 0 AS rsv, p.assigned AS n
	FROM license_pools p`)
	if k.customer {
		b.add(` LEFT JOIN accounts a ON a.reseller_id = p.reseller_id AND a.id = p.account_id`)
	}
	b.add(` WHERE p.assigned > 0`)
	b.scope(c, "p.")
	summaryPushdown(b, cat, f, "p.reseller_id", "p.account_id", "p.sku")
}

// summaryPushdown adds the filters on pool dimensions to a scan: they hold for the whole
// pool, so they can narrow the scans before the pool is put together.
func summaryPushdown(b *sqlBuilder, cat *summaryCatalogInfo, f SummaryFilter, reseller, account, sku string) {
	if len(f.ResellerIDs) > 0 {
		b.add(" AND "+reseller+" IN ?", f.ResellerIDs)
	}
	if len(f.AccountIDs) > 0 {
		b.add(" AND "+account+" IN ?", f.AccountIDs)
	}
	if len(f.SKUs) > 0 {
		b.add(" AND "+sku+" IN ?", f.SKUs)
	}
	if len(f.pools) > 0 {
		if account == accountOfSubSQL { // a scan of subscriptions: by id, then exactly
			b.add(" AND s.id IN ?", append([]int64{0}, f.poolSubs...))
			account = "COALESCE(" + account + ", -" + reseller + ")"
		}
		b.add(" AND ")
		poolsSQL(b, f.pools, reseller, account, sku)
	}
	if len(f.Families) > 0 {
		codes := []string{""}
		for i, fam := range cat.families {
			if slices.Contains(f.Families, licensing.Family(fam)) {
				codes = append(codes, cat.codes[i])
			}
		}
		b.add(" AND "+sku+" IN ?", codes)
	}
}

// summarySQL builds the statement of LicenseSummary (see the file comment). On pool
// dimensions only (reseller, account, SKU, family), each pool is a cell:
//
//	c  poolAggregateSQL (per pool licensed, in grace and users) UNION ALL reservedRows;
//
// otherwise (customer, agreement, program or enrollment grouped or filtered) each
// subscription is a cell, with the pool's users allocated to it:
//
//	u  summaryRows (+ reservations) UNION ALL poolRows, integers only;
//	w  per pool (acc, kk): pool_n, its users, and before_n, the cover of the rows ordered
//	   before this one (window functions, no self-join);
//	c  each row's allocated users: min(cap, what is left); the rest to the cls 9 row.
//
// Then the cells are filtered and grouped, with the group count as a window over the
// groups. cells forces the second form (the tests check both agree on pool dimensions).
func summarySQL(c Caller, cat *summaryCatalogInfo, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time, p SummaryPage, cells bool) (string, []any) {
	byPool := !cells && len(f.CustomerIDs) == 0 && len(f.AgreementIDs) == 0 && len(f.Programs) == 0 && len(f.EnrollmentIDs) == 0
	for _, d := range groupBy {
		byPool = byPool && poolDimension(d)
	}
	var b sqlBuilder
	b.add(`SELECT * FROM (SELECT `)
	keys := summaryGroupColumns(&b, cat, groupBy)
	// A pending row (part 1) only lowers its subscription's licensed part: no user is beyond it.
	assigned, lic, grace, own := "c.asg", "(CASE WHEN c.cls = 0 THEN c.cap ELSE 0 END)", "(CASE WHEN c.cls = 1 THEN c.cap ELSE 0 END)", "c.part = 0 AND "
	if byPool {
		assigned, lic, grace, own = "c.n", "c.lic", "c.grace", ""
	}
	b.add(`COALESCE(SUM(` + lic + `), 0) AS licensed, COALESCE(SUM(c.pend), 0) AS pending, COALESCE(SUM(` + grace + `), 0) AS in_grace,
	COALESCE(SUM(c.rsv), 0) AS reserved_not_billed,
	COALESCE(SUM(` + assigned + `), 0) AS assigned, COALESCE(SUM(CASE WHEN ` + own + assigned + ` > ` + lic + ` THEN ` + assigned + ` - ` + lic + ` ELSE 0 END), 0) AS unassignable,
	COUNT(*) AS cells, COUNT(*) OVER () AS total_groups
FROM (`)
	if byPool {
		withReseller := slices.Contains(groupBy, licensing.SummaryByReseller) || len(f.ResellerIDs) > 0
		poolAggregateSQL(&b, c, cat, f, asOf, withReseller)
		b.add(`
	UNION ALL
	`)
		reservedRows(&b, c, cat, f, asOf, withReseller)
		b.add(`) c WHERE 1 = 1`)
	} else {
		allocatedCells(&b, c, cat, cellKeysOf(groupBy, f), f, asOf)
	}
	summaryFilterSQL(&b, cat, f)
	groupsInOrder(&b, groupBy, keys, p)
	return b.String(), b.args
}

// groupsInOrder ends a grouping statement that began with "SELECT * FROM (SELECT ": it groups
// by keys, then sorts the groups by their keys and takes one page outside the grouping. Sorted
// inside, MariaDB 10.11 may read the groups in an index's order, take the ORDER BY as already
// met, and then let the sort of the window function (COUNT(*) OVER (), the total) reorder them,
// by an aggregate (seen: by SUM(c.cells)): groups out of order and pages that skip or repeat
// groups (R-BI-1).
func groupsInOrder(b *sqlBuilder, groupBy []licensing.SummaryDimension, keys []string, p SummaryPage) {
	if len(keys) > 0 {
		b.add(" GROUP BY " + strings.Join(keys, ", "))
	}
	b.add(") g")
	if len(groupBy) > 0 {
		order := make([]string, len(groupBy))
		for i, d := range groupBy {
			order[i] = "g." + summaryAliases[d]
		}
		b.add(" ORDER BY " + strings.Join(order, ", "))
	}
	b.add(" LIMIT ? OFFSET ?", p.First+1, p.Offset)
}

// summaryGroupColumns writes the shown column of each dimension of groupBy and returns what
// each groups and orders by.
func summaryGroupColumns(b *sqlBuilder, cat *summaryCatalogInfo, groupBy []licensing.SummaryDimension) []string {
	acc := `(CASE WHEN c.acc < 0 THEN NULL ELSE c.acc END)`
	family := cat.familyRankSQL("c.kk")
	var keys []string
	for _, d := range groupBy {
		group, show := "", ""
		switch d {
		case licensing.SummaryByReseller:
			group, show = "c.r", "c.r"
		case licensing.SummaryByCustomer:
			group, show = "c.cus", "c.cus"
		case licensing.SummaryByAgreement:
			group, show = "c.agr", "c.agr"
		case licensing.SummaryByProgram:
			group, show = "c.prog", "c.prog"
		case licensing.SummaryByEnrollment:
			group, show = "c.enr", "c.enr"
		case licensing.SummaryByAccount:
			group, show = acc, acc
		case licensing.SummaryBySKU:
			group, show = "c.kk", "c.kk"
		case licensing.SummaryByFamily:
			group, show = family, family
		}
		keys = append(keys, group)
		b.add(show + " AS " + summaryAliases[d] + ", ")
	}
	return keys
}

// allocatedCells writes the per-subscription cells c, each with its allocated users (asg): the
// rows of summaryRows and poolRows, the window sums per pool, and the allocation.
func allocatedCells(b *sqlBuilder, c Caller, cat *summaryCatalogInfo, k cellKeys, f SummaryFilter, asOf time.Time) {
	// A pending row (part 1, cap -p) follows its subscription's row, which took min(q, left):
	// it gives back what that took beyond q - p, so the two take min(q - p, left) together.
	b.add(`SELECT w.*, CASE
		WHEN w.cls = 9 THEN (CASE WHEN w.pool_n > w.before_n THEN w.pool_n - w.before_n ELSE 0 END)
		WHEN w.part = 1 THEN (CASE WHEN w.pool_n - w.before_n - w.cap <= 0 THEN 0 WHEN w.pool_n - w.before_n >= 0 THEN w.cap
			ELSE w.cap - (w.pool_n - w.before_n) END)
		WHEN w.pool_n <= w.before_n THEN 0
		WHEN w.pool_n - w.before_n > w.cap THEN w.cap
		ELSE w.pool_n - w.before_n END AS asg
	FROM (SELECT u.*, SUM(u.n) OVER (PARTITION BY u.acc, u.kk) AS pool_n,
		SUM(u.cap) OVER (PARTITION BY u.acc, u.kk ORDER BY u.cls, u.sid, u.part ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - u.cap AS before_n
	FROM (
	`)
	for i, kind := range []rowKind{subscriptionRows, pendingRows, reservationRows} {
		if i > 0 {
			b.add(`
	UNION ALL
	`)
		}
		summaryRows(b, c, cat, k, f, asOf, kind)
	}
	b.add(`
	UNION ALL
	`)
	poolRows(b, c, cat, k, f)
	b.add(`
	) u) w) c
	WHERE NOT (c.cls = 9 AND c.asg = 0)`) // an overflow row with no user left over is no cell
}

// summaryFilterSQL keeps the cells that match the filter on every dimension it names.
func summaryFilterSQL(b *sqlBuilder, cat *summaryCatalogInfo, f SummaryFilter) {
	inList(b, "c.r", f.ResellerIDs)
	inList(b, "c.cus", f.CustomerIDs)
	inList(b, "c.agr", f.AgreementIDs)
	if len(f.Programs) > 0 {
		ranks := []int{-1}
		for i, p := range summaryPrograms {
			if slices.Contains(f.Programs, licensing.Program(p)) {
				ranks = append(ranks, i+1)
			}
		}
		b.add(" AND c.prog IN ?", ranks)
	}
	inList(b, "c.enr", f.EnrollmentIDs)
	inList(b, "c.acc", f.AccountIDs)
	if len(f.SKUs) > 0 || len(f.Families) > 0 {
		b.add(" AND c.kk IN ?", cat.ranks(func(code, fam string) bool {
			return (len(f.SKUs) == 0 || slices.Contains(f.SKUs, code)) && (len(f.Families) == 0 || slices.Contains(f.Families, licensing.Family(fam)))
		}))
	}
}
