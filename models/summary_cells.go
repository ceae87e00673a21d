package models

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// The license summary read from the rollup (cells.go): the stored cells of the pools in scope,
// filtered and grouped exactly as summarySQL groups the cells it computes, when every one of
// those pools is valid at asOf (cellsUsable). One GROUP BY over one row per cell, no window
// over subscriptions (R-BI-2).

// cellsUsable tells whether the rollup answers the summary as of asOf for the caller's scope:
// it is built, and no pool of the resellers in scope is invalid at asOf (valid_until reached,
// or computed after asOf). Two index probes (license_cell_pools_reseller_due / _from, or
// license_cell_pools_due / _from for every reseller).
func (s *Store) cellsUsable(ctx context.Context, c Caller, f SummaryFilter, asOf time.Time) (bool, error) {
	asOf = asOf.UTC()
	var b sqlBuilder
	probe := func(cond string, arg any) {
		b.add(`(SELECT COUNT(*) FROM (SELECT 1 AS x FROM license_cell_pools WHERE 1 = 1`)
		switch {
		case !c.AllResellers():
			b.add(" AND reseller_id = ?", c.ResellerID)
		case len(f.ResellerIDs) > 0:
			b.add(" AND reseller_id IN ?", f.ResellerIDs)
		}
		b.add(" AND "+cond+" LIMIT 1) p)", arg)
	}
	b.add(`SELECT (SELECT COUNT(*) FROM license_cells_built) AS built, `)
	probe("valid_until <= ?", s.instant(asOf))
	b.add(` AS expired, `)
	probe("valid_from > ?", s.instant(asOf))
	b.add(` AS early`)
	var r struct {
		Built, Expired, Early int
	}
	if err := s.ctx(ctx).Raw(b.String(), b.args...).Scan(&r).Error; err != nil {
		return false, err
	}
	return r.Built > 0 && r.Expired == 0 && r.Early == 0, nil
}

// instant is t as an argument compared with an indexed DATETIME(6) column: on MySQL its text.
// Measured on MariaDB 10.11 at 84,000 pools, the index probes of cellsUsable took 10 ms each
// with a time.Time argument and 0.1 ms with the same instant as text.
func (s *Store) instant(t time.Time) any {
	if s.dialect == MySQL {
		return t.UTC().Format("2006-01-02 15:04:05.999999")
	}
	return t.UTC()
}

// summaryFromCells is LicenseSummary from the rollup.
func (s *Store) summaryFromCells(ctx context.Context, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time, p SummaryPage) (*SummaryResult, error) {
	cat, err := s.summaryCatalog(ctx)
	if err != nil {
		return nil, err
	}
	sqlText, args := cellsSummarySQL(c, cat, groupBy, f, p)
	var rows []summaryScan
	if err := s.ctx(ctx).Raw(sqlText, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	cat.name(rows)
	out := summaryResult(rows, groupBy, asOf, p)
	if len(rows) == 0 && p.Offset > 0 {
		all, err := s.summaryFromCells(ctx, c, groupBy, f, asOf, SummaryPage{First: 0})
		if err != nil {
			return nil, err
		}
		out.TotalGroups = all.TotalGroups
	}
	return out, nil
}

// cellsSummarySQL groups the stored cells like summarySQL, through the same group columns
// (summaryGroupColumns): every key travels as an integer (SKU as its catalog rank, program as
// its rank), so the groups' temporary table stays small and in memory (R-BI-2), and the order,
// total and page are the slow path's.
func cellsSummarySQL(c Caller, cat *summaryCatalogInfo, groupBy []licensing.SummaryDimension, f SummaryFilter, p SummaryPage) (string, []any) {
	var b sqlBuilder
	b.add(`SELECT `)
	keys := summaryGroupColumns(&b, cat, groupBy)
	b.add(`COALESCE(SUM(c.licensed), 0) AS licensed, COALESCE(SUM(c.pending), 0) AS pending, COALESCE(SUM(c.in_grace), 0) AS in_grace,
	COALESCE(SUM(c.reserved_not_billed), 0) AS reserved_not_billed, COALESCE(SUM(c.assigned), 0) AS assigned,
	COALESCE(SUM(c.unassignable), 0) AS unassignable, COUNT(*) AS cells, COUNT(*) OVER () AS total_groups
FROM (SELECT l.reseller_id AS r, l.customer_id AS cus, l.agreement_id AS agr, ` + programRankSQL("l.program") + ` AS prog, l.enrollment_id AS enr,
	l.account_key AS acc, ` + cat.kkSQL("l.sku") + ` AS kk, l.licensed, l.pending, l.in_grace, l.reserved_not_billed, l.assigned, l.unassignable
	FROM license_cells l WHERE 1 = 1`)
	b.scope(c, "l.")
	inList(&b, "l.reseller_id", f.ResellerIDs)
	inList(&b, "l.customer_id", f.CustomerIDs)
	inList(&b, "l.agreement_id", f.AgreementIDs)
	inList(&b, "l.program", f.Programs)
	inList(&b, "l.enrollment_id", f.EnrollmentIDs)
	inList(&b, "l.account_key", f.AccountIDs)
	inList(&b, "l.sku", f.SKUs)
	if len(f.Families) > 0 { // through the catalog, as the grouping: a SKU's family is the catalog's
		codes := []string{""}
		for i, fam := range cat.families {
			if slices.Contains(f.Families, licensing.Family(fam)) {
				codes = append(codes, cat.codes[i])
			}
		}
		b.add(" AND l.sku IN ?", codes)
	}
	b.add(`) c`)
	if len(keys) > 0 {
		b.add(" GROUP BY " + strings.Join(keys, ", ") + " ORDER BY " + strings.Join(keys, ", "))
	}
	b.add(" LIMIT ? OFFSET ?", p.First+1, p.Offset)
	return b.String(), b.args
}
