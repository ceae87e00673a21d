package models

// The license summary for BI (R-BI-1, R-BI-2): one SQL aggregation in the database.
//
// Cells. licensing.SummaryRow sums right only over licence pools (a SKU on an account):
// Unassignable keeps Available from letting a spare license of one pool cover a user of
// another. But a pool spans enrollments, agreements, programs and even customers (an account
// holds many enrollments, R-ENR-1, and direct purchases), while assignments belong to the
// pool, not to a subscription. So the cell, the smallest unit summed, is one subscription,
// and the pool's assigned users are allocated to its subscriptions:
//
//   - the pool's subscriptions are ordered ACTIVE first, then IN_GRACE, then the rest, each
//     by id; users fill them in that order up to their quantity (ACTIVE and IN_GRACE
//     subscriptions cover users, R-LIC-2; the others cover none);
//   - users beyond every cover go to one extra cell of the pool with no subscription (no
//     enrollment, agreement or program; the account's customer): they are the users in
//     conflict, covered by no enrollment. The same cell holds a pool's users when it has
//     no subscription at all.
//
// Each cell is then licensing.NewSummaryCell(licensed, inGrace, reserved, allocated). A
// pool's cells add up exactly to licensing.SummaryCellAt of the pool, so any grouping, by
// pool dimensions (reseller, account, SKU, family) or by subscription dimensions (customer,
// agreement, program, enrollment), sums to the same totals and Available never counts a
// license of one pool for a user of another.
//
// Subscriptions of an enrollment that is not activated have no account: they form pools
// with a NULL account (ACCOUNT key nil), licensed and available but with nobody assigned.
//
// Quantities are the subscriptions' current quantities (see assignments.go); asOf decides
// every status, exactly as SubscriptionTerm.StatusAt (statusSQL).

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
	id := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	out := map[licensing.SummaryDimension]string{}
	for _, d := range groupBy {
		switch d {
		case licensing.SummaryByReseller:
			out[d] = id(g.ResellerID)
		case licensing.SummaryByCustomer:
			out[d] = id(g.CustomerID)
		case licensing.SummaryByAgreement:
			out[d] = id(g.AgreementID)
		case licensing.SummaryByProgram:
			if g.Program != nil {
				out[d] = string(*g.Program)
			} else {
				out[d] = ""
			}
		case licensing.SummaryByEnrollment:
			out[d] = id(g.EnrollmentID)
		case licensing.SummaryByAccount:
			out[d] = id(g.AccountID)
		case licensing.SummaryBySKU:
			out[d] = str(g.SKU)
		case licensing.SummaryByFamily:
			if g.Family != nil {
				out[d] = string(*g.Family)
			} else {
				out[d] = ""
			}
		}
	}
	return out
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
	licensing.SummaryByProgram:    "g_program",
	licensing.SummaryByEnrollment: "g_enrollment",
	licensing.SummaryByAccount:    "g_account",
	licensing.SummaryBySKU:        "g_sku",
	licensing.SummaryByFamily:     "g_family",
}

type summaryScan struct {
	GReseller         *int64  `gorm:"column:g_reseller"`
	GCustomer         *int64  `gorm:"column:g_customer"`
	GAgreement        *int64  `gorm:"column:g_agreement"`
	GProgram          *string `gorm:"column:g_program"`
	GEnrollment       *int64  `gorm:"column:g_enrollment"`
	GAccount          *int64  `gorm:"column:g_account"`
	GSKU              *string `gorm:"column:g_sku"`
	GFamily           *string `gorm:"column:g_family"`
	Licensed          int     `gorm:"column:licensed"`
	InGrace           int     `gorm:"column:in_grace"`
	ReservedNotBilled int     `gorm:"column:reserved_not_billed"`
	Assigned          int     `gorm:"column:assigned"`
	Unassignable      int     `gorm:"column:unassignable"`
	Cells             int     `gorm:"column:cells"`
	TotalGroups       int     `gorm:"column:total_groups"`
}

// LicenseSummary aggregates, as of asOf, licensed (ACTIVE, R-SUB-1), in-grace,
// reserved-not-yet-billed (reservations billed after asOf's day on ACTIVE subscriptions,
// R-RES-1), assigned and available quantities per group of groupBy, over the cells that
// match filter, within the caller's reseller (R-BI-1). One SQL statement computes it in the
// database; only the page's groups are read (R-BI-2). A dimension unknown or repeated in
// groupBy is INVALID on ["groupBy", i]; an unknown program or family in the filter is
// UNKNOWN_VALUE on ["filter", "programs"|"families", i]; a negative page is INVALID on
// ["first"] or ["after"].
func (s *Store) LicenseSummary(ctx context.Context, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time, p SummaryPage) (*SummaryResult, error) {
	var ps licensing.Problems
	for i, d := range groupBy {
		if !d.Valid() || slices.Index(groupBy, d) < i {
			ps.Add(licensing.CodeInvalid, fmt.Sprintf("groupBy: %q is unknown or repeated", d), "groupBy", strconv.Itoa(i))
		}
	}
	for i, v := range f.Programs {
		if !v.Valid() {
			ps.Add(licensing.CodeUnknownValue, fmt.Sprintf("unknown program %q", v), "filter", "programs", strconv.Itoa(i))
		}
	}
	for i, v := range f.Families {
		if !v.Valid() {
			ps.Add(licensing.CodeUnknownValue, fmt.Sprintf("unknown family %q", v), "filter", "families", strconv.Itoa(i))
		}
	}
	if p.First < 0 {
		ps.Add(licensing.CodeInvalid, "first must not be negative", "first")
	}
	if p.Offset < 0 {
		ps.Add(licensing.CodeInvalid, "the cursor is not valid", "after")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}

	return s.licenseSummary(ctx, c, groupBy, f, asOf, p, false)
}

// licenseSummary is LicenseSummary; cells forces the per-subscription form of summarySQL.
func (s *Store) licenseSummary(ctx context.Context, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time, p SummaryPage, cells bool) (*SummaryResult, error) {
	cat, err := s.summaryCatalog(ctx)
	if err != nil {
		return nil, err
	}
	sqlText, args := summarySQL(c, cat, groupBy, f, asOf, p, cells)
	var rows []summaryScan
	if err := s.ctx(ctx).Raw(sqlText, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
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
			SummaryRow: licensing.SummaryRow{Licensed: r.Licensed, InGrace: r.InGrace, ReservedNotBilled: r.ReservedNotBilled,
				Assigned: r.Assigned, Unassignable: r.Unassignable}}
		if r.GProgram != nil {
			v := licensing.Program(*r.GProgram)
			g.Program = &v
		}
		if r.GFamily != nil {
			v := licensing.Family(*r.GFamily)
			g.Family = &v
		}
		out.Groups = append(out.Groups, g)
	}
	if len(rows) == 0 && p.Offset > 0 {
		// Past the last group the windowed total has no row to ride on: count alone.
		all, err := s.licenseSummary(ctx, c, groupBy, f, asOf, SummaryPage{First: 0}, cells)
		if err != nil {
			return nil, err
		}
		out.TotalGroups = all.TotalGroups
	}
	return out, nil
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
	codes    []string // by kk-1
	families []string // by kk-1
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
	}
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

// nameSQL maps a rank column back to the SKU code or its family.
func (cat *summaryCatalogInfo) nameSQL(col string, names []string) string {
	var b strings.Builder
	b.WriteString("(CASE " + col)
	for i, n := range names {
		fmt.Fprintf(&b, " WHEN %d THEN %s", i+1, sqlQuote(n))
	}
	b.WriteString(" END)")
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
//	acc, kk, [r,] lic, grace, rsv (0), n
//
// acc is the account (-reseller for licenses on no account), lic and grace the ACTIVE and
// IN_GRACE quantities (R-SUB-1, R-LIC-2), n the users. The subscriptions (their status as
// of asOf evaluated once each) UNION ALL the counters of license_pools, then one GROUP BY
// over integer keys: a full outer join of the two without a join. Only what the caller
// needs travels: r when withReseller, nothing for reservations (reservedRows adds them
// after, they need no pool).
func poolAggregateSQL(b *sqlBuilder, c Caller, cat *summaryCatalogInfo, f SummaryFilter, asOf time.Time, withReseller bool) {
	r, rMax := "", ""
	if withReseller {
		r, rMax = "s.reseller_id AS r, ", "MAX(u.r) AS r, "
	}
	st := statusSQL("s", asOf)
	b.add(`SELECT u.acc, u.kk, `+rMax+`SUM(CASE WHEN u.q > 0 AND u.st = `+stActive+` THEN u.q ELSE 0 END) AS lic,
		SUM(CASE WHEN u.q > 0 AND u.st = `+stInGrace+` THEN u.q ELSE 0 END) AS grace, 0 AS rsv, MAX(u.n) AS n
	FROM (
	SELECT COALESCE(`+accountOfSubSQL+`, -s.reseller_id) AS acc, `+cat.kkSQL("s.sku")+` AS kk, `+r+st.sql+` AS st, s.quantity AS q, 0 AS n
	FROM subscriptions s
	LEFT JOIN enrollments e ON e.reseller_id = s.reseller_id AND e.id = s.enrollment_id
	WHERE 1 = 1`, st.args...)
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

// reservedRows writes, in the columns of poolAggregateSQL, the reservations billed after
// asOf's day on ACTIVE subscriptions, at most the subscription's quantity (R-RES-1,
// SummaryCellAt). A sum needs no pool, so these few rows join after the pools' GROUP BY.
func reservedRows(b *sqlBuilder, c Caller, cat *summaryCatalogInfo, f SummaryFilter, asOf time.Time, withReseller bool) {
	r := ""
	if withReseller {
		r = "s.reseller_id, "
	}
	st := statusSQL("s", asOf)
	b.add(`SELECT COALESCE(`+accountOfSubSQL+`, -s.reseller_id), `+cat.kkSQL("s.sku")+`, `+r+`0, 0,
		CASE WHEN rv.q < s.quantity THEN rv.q ELSE s.quantity END, 0
	FROM (SELECT reseller_id, subscription_id, SUM(quantity) AS q FROM reservations WHERE billing_date > ?`, licensing.DateOf(asOf))
	b.scope(c, "")
	b.add(` GROUP BY reseller_id, subscription_id) rv
	JOIN subscriptions s ON s.reseller_id = rv.reseller_id AND s.id = rv.subscription_id
	LEFT JOIN enrollments e ON e.reseller_id = s.reseller_id AND e.id = s.enrollment_id
	WHERE s.quantity > 0 AND `+st.sql+` = `+stActive, st.args...)
	b.scope(c, "s.")
	summaryPushdown(b, cat, f, "s.reseller_id", accountOfSubSQL, "s.sku")
}

// ---- per subscription: the summary on customer, agreement, program or enrollment ----

// summaryRows writes the source rows of the subscriptions: one per subscription, or with
// reservations set, one per subscription with reservations billed after asOf's day
// (R-RES-1), in the columns
//
//	r, acc, kk, enr, agr, cus, prog, sid, kind, st, q, rq, n
//
// kind 0 is a subscription, 3 its reservations, 9 a pool's users (poolRows); st is its
// status as of asOf (statusSQL), q its quantity, rq its reservations not billed. The
// status is evaluated once per row here; summaryValues derives the sums from it after the
// UNION ALL has materialized the rows.
func summaryRows(b *sqlBuilder, c Caller, cat *summaryCatalogInfo, f SummaryFilter, asOf time.Time, reservations bool) {
	st := statusSQL("s", asOf)
	kind := "0"
	if reservations {
		kind = "3"
	}
	b.add(`SELECT s.reseller_id AS r, COALESCE(`+accountOfSubSQL+`, -s.reseller_id) AS acc, `+cat.kkSQL("s.sku")+` AS kk,
		s.enrollment_id AS enr, e.agreement_id AS agr, CASE WHEN s.enrollment_id IS NOT NULL THEN g.customer_id ELSE da.customer_id END AS cus,
		s.program AS prog, s.id AS sid, `+kind+` AS kind, `+st.sql+` AS st, s.quantity AS q, `, st.args...)
	if reservations {
		b.add(`rv.q AS rq, 0 AS n
	FROM (SELECT reseller_id, subscription_id, SUM(quantity) AS q FROM reservations WHERE billing_date > ?`, licensing.DateOf(asOf))
		b.scope(c, "")
		b.add(` GROUP BY reseller_id, subscription_id) rv
	JOIN subscriptions s ON s.reseller_id = rv.reseller_id AND s.id = rv.subscription_id`)
	} else {
		b.add(`0 AS rq, 0 AS n
	FROM subscriptions s`)
	}
	b.add(`
	LEFT JOIN enrollments e ON e.reseller_id = s.reseller_id AND e.id = s.enrollment_id
	LEFT JOIN agreements g ON g.reseller_id = e.reseller_id AND g.id = e.agreement_id
	LEFT JOIN accounts da ON da.reseller_id = s.reseller_id AND da.id = s.direct_account_id
	WHERE 1 = 1`)
	b.scope(c, "s.")
	summaryPushdown(b, cat, f, "s.reseller_id", accountOfSubSQL, "s.sku")
}

// summaryValues are the values of a source row u, in the order the allocation needs:
// cls orders a pool's rows (0 ACTIVE, 1 IN_GRACE, 2 other subscriptions, 3 reservations, 9
// users); only ACTIVE and IN_GRACE cover users (cap, R-LIC-2); only ACTIVE counts as
// licensed (R-SUB-1); reservations show on ACTIVE subscriptions, at most their quantity
// (SummaryCellAt).
const summaryValues = `CASE WHEN u.kind = 0 THEN (CASE u.st WHEN ` + stActive + ` THEN 0 WHEN ` + stInGrace + ` THEN 1 ELSE 2 END) ELSE u.kind END AS cls,
	CASE WHEN u.kind = 0 AND u.q > 0 AND u.st IN (` + stActive + `, ` + stInGrace + `) THEN u.q ELSE 0 END AS cap,
	CASE WHEN u.kind = 0 AND u.q > 0 AND u.st = ` + stActive + ` THEN u.q ELSE 0 END AS lic,
	CASE WHEN u.kind = 0 AND u.q > 0 AND u.st = ` + stInGrace + ` THEN u.q ELSE 0 END AS grace,
	CASE WHEN u.kind = 3 AND u.q > 0 AND u.st = ` + stActive + ` THEN (CASE WHEN u.rq < u.q THEN u.rq ELSE u.q END) ELSE 0 END AS rsv`

// poolRows writes one row per pool with users, from the counters in license_pools (not a
// count of a million assignments), in the columns of summaryRows, with the account's
// customer.
func poolRows(b *sqlBuilder, c Caller, cat *summaryCatalogInfo, f SummaryFilter) {
	b.add(`SELECT p.reseller_id, p.account_id, ` + cat.kkSQL("p.sku") + `, NULL, NULL, a.customer_id, NULL, 0, 9, -1, 0, 0, p.assigned
	FROM license_pools p LEFT JOIN accounts a ON a.reseller_id = p.reseller_id AND a.id = p.account_id WHERE p.assigned > 0`)
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
//	u  summaryRows (+ reservations) UNION ALL poolRows, v its summaryValues;
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
	b.add(`SELECT `)
	// Each dimension: what it groups and orders by, and what it shows.
	acc := `(CASE WHEN c.acc < 0 THEN NULL ELSE c.acc END)`
	family := cat.nameSQL("c.kk", cat.families)
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
			group, show = "c.kk", cat.nameSQL("c.kk", cat.codes)
		case licensing.SummaryByFamily:
			group, show = family, family
		}
		keys = append(keys, group)
		b.add(show + " AS " + summaryAliases[d] + ", ")
	}
	assigned := "c.asg"
	if byPool {
		assigned = "c.n"
	}
	b.add(`COALESCE(SUM(c.lic), 0) AS licensed, COALESCE(SUM(c.grace), 0) AS in_grace, COALESCE(SUM(c.rsv), 0) AS reserved_not_billed,
	COALESCE(SUM(` + assigned + `), 0) AS assigned, COALESCE(SUM(CASE WHEN ` + assigned + ` > c.lic THEN ` + assigned + ` - c.lic ELSE 0 END), 0) AS unassignable,
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
		b.add(`SELECT w.*, CASE
		WHEN w.cls = 9 THEN (CASE WHEN w.pool_n > w.before_n THEN w.pool_n - w.before_n ELSE 0 END)
		WHEN w.pool_n <= w.before_n THEN 0
		WHEN w.pool_n - w.before_n > w.cap THEN w.cap
		ELSE w.pool_n - w.before_n END AS asg
	FROM (SELECT v.*, SUM(v.n) OVER (PARTITION BY v.acc, v.kk) AS pool_n,
		SUM(v.cap) OVER (PARTITION BY v.acc, v.kk ORDER BY v.cls, v.sid ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - v.cap AS before_n
	FROM (SELECT u.*, ` + summaryValues + ` FROM (
	`)
		summaryRows(&b, c, cat, f, asOf, false)
		b.add(`
	UNION ALL
	`)
		summaryRows(&b, c, cat, f, asOf, true)
		b.add(`
	UNION ALL
	`)
		poolRows(&b, c, cat, f)
		b.add(`
	) u) v) w) c
	WHERE NOT (c.cls = 9 AND c.asg = 0)`) // an overflow row with no user left over is no cell
	}
	in := func(col string, vals any, n int) {
		if n > 0 {
			b.add(" AND "+col+" IN ?", vals)
		}
	}
	in("c.r", f.ResellerIDs, len(f.ResellerIDs))
	in("c.cus", f.CustomerIDs, len(f.CustomerIDs))
	in("c.agr", f.AgreementIDs, len(f.AgreementIDs))
	in("c.prog", f.Programs, len(f.Programs))
	in("c.enr", f.EnrollmentIDs, len(f.EnrollmentIDs))
	in("c.acc", f.AccountIDs, len(f.AccountIDs))
	if len(f.SKUs) > 0 || len(f.Families) > 0 {
		b.add(" AND c.kk IN ?", cat.ranks(func(code, fam string) bool {
			return (len(f.SKUs) == 0 || slices.Contains(f.SKUs, code)) && (len(f.Families) == 0 || slices.Contains(f.Families, licensing.Family(fam)))
		}))
	}
	if len(keys) > 0 {
		b.add(" GROUP BY " + strings.Join(keys, ", ") + " ORDER BY " + strings.Join(keys, ", "))
	}
	b.add(" LIMIT ? OFFSET ?", p.First+1, p.Offset)
	return b.String(), b.args
}
