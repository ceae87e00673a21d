package models

import (
	"context"
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
// or computed after asOf). Two index probes (license_cells_reseller_due / _from, or
// license_cells_due / _from for every reseller).
func (s *Store) cellsUsable(ctx context.Context, c Caller, f SummaryFilter, asOf time.Time) (bool, error) {
	asOf = asOf.UTC()
	var b sqlBuilder
	probe := func(cond string, arg any) {
		b.add(`(SELECT COUNT(*) FROM (SELECT 1 AS x FROM license_cells WHERE cell_no = 0`)
		switch {
		case !c.AllResellers():
			b.add(" AND reseller_id = ?", c.ResellerID)
		case len(f.ResellerIDs) > 0:
			b.add(" AND reseller_id IN ?", f.ResellerIDs)
		}
		b.add(" AND "+cond+" LIMIT 1) p)", arg)
	}
	b.add(`SELECT (SELECT COUNT(*) FROM license_cells_built) AS built, `)
	probe("valid_until <= ?", asOf)
	b.add(` AS expired, `)
	probe("valid_from > ?", asOf)
	b.add(` AS early`)
	var r struct {
		Built, Expired, Early int
	}
	if err := s.ctx(ctx).Raw(b.String(), b.args...).Scan(&r).Error; err != nil {
		return false, err
	}
	return r.Built > 0 && r.Expired == 0 && r.Early == 0, nil
}

// summaryFromCells is LicenseSummary from the rollup.
func (s *Store) summaryFromCells(ctx context.Context, c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, asOf time.Time, p SummaryPage) (*SummaryResult, error) {
	sqlText, args := cellsSummarySQL(c, groupBy, f, p)
	var rows []summaryScan
	if err := s.ctx(ctx).Raw(sqlText, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
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

// cellsSummarySQL groups the stored cells like summarySQL: the same result columns, order
// (SKUs by code, programs by name, no value first), total and page.
func cellsSummarySQL(c Caller, groupBy []licensing.SummaryDimension, f SummaryFilter, p SummaryPage) (string, []any) {
	var b sqlBuilder
	b.add(`SELECT `)
	var keys []string
	for _, d := range groupBy {
		col := map[licensing.SummaryDimension]string{
			licensing.SummaryByReseller: "c.reseller_id", licensing.SummaryByCustomer: "c.customer_id", licensing.SummaryByAgreement: "c.agreement_id",
			licensing.SummaryByProgram: "c.program", licensing.SummaryByEnrollment: "c.enrollment_id",
			licensing.SummaryByAccount: "(CASE WHEN c.account_key < 0 THEN NULL ELSE c.account_key END)",
			licensing.SummaryBySKU:     "c.sku", licensing.SummaryByFamily: "c.family",
		}[d]
		keys = append(keys, col)
		b.add(col + " AS " + summaryAliases[d] + ", ")
	}
	b.add(`COALESCE(SUM(c.licensed), 0) AS licensed, COALESCE(SUM(c.pending), 0) AS pending, COALESCE(SUM(c.in_grace), 0) AS in_grace,
	COALESCE(SUM(c.reserved_not_billed), 0) AS reserved_not_billed, COALESCE(SUM(c.assigned), 0) AS assigned,
	COALESCE(SUM(c.unassignable), 0) AS unassignable, COUNT(*) AS cells, COUNT(*) OVER () AS total_groups
FROM license_cells c WHERE c.cell_no > 0`)
	b.scope(c, "c.")
	in := func(col string, vals any, n int) {
		if n > 0 {
			b.add(" AND "+col+" IN ?", vals)
		}
	}
	in("c.reseller_id", f.ResellerIDs, len(f.ResellerIDs))
	in("c.customer_id", f.CustomerIDs, len(f.CustomerIDs))
	in("c.agreement_id", f.AgreementIDs, len(f.AgreementIDs))
	in("c.program", f.Programs, len(f.Programs))
	in("c.enrollment_id", f.EnrollmentIDs, len(f.EnrollmentIDs))
	in("c.account_key", f.AccountIDs, len(f.AccountIDs))
	in("c.sku", f.SKUs, len(f.SKUs))
	in("c.family", f.Families, len(f.Families))
	if len(keys) > 0 {
		b.add(" GROUP BY " + strings.Join(keys, ", ") + " ORDER BY " + strings.Join(keys, ", "))
	}
	b.add(" LIMIT ? OFFSET ?", p.First+1, p.Offset)
	return b.String(), b.args
}
