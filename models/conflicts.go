package models

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// License conflicts (R-LIC-2, R-LIC-3, R-LIC-4, R-LIC-7): the facts of one account for
// licensing.ConflictsAt, and the accounts in conflict as one SQL aggregation.

// AccountHoldings lists, per SKU on the account (ascending), its subscriptions with every change
// that added licenses (their pending part as of any instant, R-ORD-5), its assigned users oldest
// assignment first (ties by user id) and the SKUs that replaced it at a renewal (R-SUB-4): the
// facts of licensing.ConflictsAt (R-LIC-2, R-LIC-3, R-LIC-4, R-LIC-7). A SKU appears when it
// has a subscription or an assignment. ReservedNotBilled is left 0 (only the summary reads it).
// Another reseller's account is ErrNotFound.
func (s *Store) AccountHoldings(ctx context.Context, c Caller, accountID int64) ([]licensing.SKUHoldings, error) {
	a, err := s.Account(ctx, c, accountID)
	if err != nil {
		return nil, err
	}
	subs, err := s.accountSubscriptions(ctx, a.ResellerID, a.ID, nil)
	if err != nil {
		return nil, err
	}
	// Two index-only range scans (license_assignments_holdings, account_users_name) and
	// the names matched here: no join, no sort (R-LIC-4 at a thousand users).
	type held struct {
		SKU    string `gorm:"column:sku"`
		UserID int64  `gorm:"column:user_id"`
	}
	var rows []held
	err = s.ctx(ctx).Raw(`SELECT sku, user_id FROM license_assignments WHERE reseller_id = ? AND account_id = ?
		ORDER BY sku, assigned_at, user_id`, a.ResellerID, a.ID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	type user struct {
		ID       int64  `gorm:"column:id"`
		UserName string `gorm:"column:user_name"`
	}
	var users []user
	if len(rows) > 0 {
		err = s.ctx(ctx).Raw(`SELECT id, user_name FROM account_users WHERE reseller_id = ? AND account_id = ?`, a.ResellerID, a.ID).Scan(&users).Error
		if err != nil {
			return nil, err
		}
	}
	names := make(map[int64]string, len(users))
	for _, u := range users {
		names[u.ID] = u.UserName
	}
	bySKU := map[string]*licensing.SKUHoldings{}
	pool := func(sku string) *licensing.SKUHoldings {
		h := bySKU[sku]
		if h == nil {
			h = &licensing.SKUHoldings{SKU: sku, Subscriptions: []licensing.HeldSubscription{}, AssignedUsers: []string{}}
			bySKU[sku] = h
		}
		return h
	}
	facts, err := s.heldSubscriptions(ctx, a.ResellerID, subs, time.Time{}, false)
	if err != nil {
		return nil, err
	}
	for i, sub := range subs {
		h := pool(sub.SKU)
		h.Subscriptions = append(h.Subscriptions, facts[i])
	}
	replaced, err := s.replacements(ctx, a.ResellerID, subs)
	if err != nil {
		return nil, err
	}
	for sku, by := range replaced {
		pool(sku).Replacements = by
	}
	for _, r := range rows {
		h := pool(r.SKU)
		h.AssignedUsers = append(h.AssignedUsers, names[r.UserID])
	}
	out := make([]licensing.SKUHoldings, 0, len(bySKU))
	for _, h := range bySKU {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(x, y licensing.SKUHoldings) int { return strings.Compare(x.SKU, y.SKU) })
	return out, nil
}

// replacements are, per SKU of subs, the SKUs that replaced it when the enrollment holding it
// was renewed onto other SKUs (licensing.SplitRenewedSKUs), ascending.
func (s *Store) replacements(ctx context.Context, resellerID int64, subs []Subscription) (map[string][]string, error) {
	bySKUs := map[int64][]string{} // enrollment -> its SKUs
	var enrollments []int64
	for _, sub := range subs {
		if sub.EnrollmentID != nil {
			if _, seen := bySKUs[*sub.EnrollmentID]; !seen {
				enrollments = append(enrollments, *sub.EnrollmentID)
			}
			bySKUs[*sub.EnrollmentID] = append(bySKUs[*sub.EnrollmentID], sub.SKU)
		}
	}
	out := map[string][]string{}
	if len(enrollments) == 0 {
		return out, nil
	}
	var renewed []struct {
		OldID int64  `gorm:"column:old_id"`
		SKU   string `gorm:"column:sku"`
	}
	err := s.ctx(ctx).Raw(`SELECT n.renewed_from_id AS old_id, su.sku AS sku FROM enrollments n JOIN subscriptions su ON su.reseller_id = n.reseller_id AND su.enrollment_id = n.id
		WHERE n.reseller_id = ? AND n.renewed_from_id IN ?`, resellerID, enrollments).Scan(&renewed).Error
	if err != nil {
		return nil, err
	}
	newSKUs := map[int64][]string{}
	for _, r := range renewed {
		newSKUs[r.OldID] = append(newSKUs[r.OldID], r.SKU)
	}
	for old, skus := range newSKUs {
		_, reassign, newOnly := licensing.SplitRenewedSKUs(bySKUs[old], skus)
		for _, sku := range reassign {
			out[sku] = slices.Compact(slices.Sorted(slices.Values(append(out[sku], newOnly...))))
		}
	}
	return out, nil
}

// AccountLicense is one SKU pool of an account as of an instant (licensing.SummaryCellAt).
type AccountLicense struct {
	SKU string
	licensing.SummaryRow
}

// AccountLicenses lists the account's SKU pools (ascending by SKU) as of asOf: licensed, in
// grace, assigned and available (R-SUB-1, R-LIC-1). Another reseller's account is ErrNotFound.
func (s *Store) AccountLicenses(ctx context.Context, c Caller, accountID int64, asOf time.Time) ([]AccountLicense, error) {
	holdings, err := s.AccountHoldings(ctx, c, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]AccountLicense, len(holdings))
	for i, h := range holdings {
		out[i] = AccountLicense{SKU: h.SKU, SummaryRow: licensing.SummaryCellAt(h, asOf)}
	}
	return out, nil
}

// AccountConflicts is licensing.ConflictsAt on the account's holdings as of asOf: the
// conflicts query of R-LIC-4 (an empty list when there is none), projected to a future asOf
// for R-LIC-7.
func (s *Store) AccountConflicts(ctx context.Context, c Caller, accountID int64, asOf time.Time) ([]licensing.Conflict, error) {
	var h []licensing.SKUHoldings
	err := s.aggregate(ctx, func() (err error) {
		h, err = s.AccountHoldings(ctx, c, accountID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return licensing.ConflictsAt(h, asOf), nil
}

// AccountConflictSummary is one account with license conflicts as of an instant (R-LIC-2).
type AccountConflictSummary struct {
	AccountID      int64
	ResellerID     int64
	SKUsInConflict int // SKUs whose assigned users outnumber ACTIVE plus IN_GRACE quantity
	Deficit        int // sum over those SKUs of assigned - (ACTIVE + IN_GRACE)
}

// AccountsWithConflicts lists the caller's accounts with a conflict as of asOf, ascending by
// account id (keyset: p.After is the last account id of the previous page), with Total the
// number of such accounts. The SQL decides for speed what licensing.Deficit decides for one
// pool (a SKU pool with more assigned users than ACTIVE plus IN_GRACE quantity, R-LIC-2):
// "c.n > c.lic + c.grace" below mirrors it, and SKUsInConflict and Deficit mirror
// licensing.ConflictsAt. One SQL aggregation over the pool counters (license_pools) and the
// subscriptions, no per-account query; TestLicenseSummaryMatchesTheRules compares it with
// ConflictsAt on random data.
func (s *Store) AccountsWithConflicts(ctx context.Context, c Caller, asOf time.Time, p Page) (*List[AccountConflictSummary], error) {
	var out *List[AccountConflictSummary]
	err := s.aggregate(ctx, func() (err error) {
		out, err = s.accountsWithConflicts(ctx, c, asOf, p)
		return err
	})
	return out, err
}

func (s *Store) accountsWithConflicts(ctx context.Context, c Caller, asOf time.Time, p Page) (*List[AccountConflictSummary], error) {
	cat, err := s.summaryCatalog(ctx)
	if err != nil {
		return nil, err
	}
	var b sqlBuilder
	b.add(`SELECT x.r AS reseller_id, x.acc AS account_id, x.skus_in_conflict, x.deficit, x.total FROM (
	SELECT c.r, c.acc, COUNT(*) AS skus_in_conflict, SUM(c.n - c.lic - c.grace) AS deficit, COUNT(*) OVER () AS total
	FROM (`)
	poolAggregateSQL(&b, c, cat, SummaryFilter{}, asOf, true)
	b.add(`) c
	WHERE c.acc > 0 AND c.n > c.lic + c.grace
	GROUP BY c.r, c.acc) x
WHERE x.acc > ? ORDER BY x.acc LIMIT ?`, p.After, p.First+1)
	type row struct {
		ResellerID     int64 `gorm:"column:reseller_id"`
		AccountID      int64 `gorm:"column:account_id"`
		SKUsInConflict int   `gorm:"column:skus_in_conflict"`
		Deficit        int   `gorm:"column:deficit"`
		Total          int64 `gorm:"column:total"`
	}
	var rows []row
	if err := s.ctx(ctx).Raw(b.String(), b.args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := &List[AccountConflictSummary]{Items: []AccountConflictSummary{}}
	for i, r := range rows {
		out.Total = r.Total
		if i == p.First {
			out.HasNext = true
			break
		}
		out.Items = append(out.Items, AccountConflictSummary{AccountID: r.AccountID, ResellerID: r.ResellerID, SKUsInConflict: r.SKUsInConflict, Deficit: r.Deficit})
	}
	if len(rows) == 0 && p.After != 0 {
		// Past the last page the windowed total has no row to ride on: count alone.
		all, err := s.AccountsWithConflicts(ctx, c, asOf, Page{First: 0})
		if err != nil {
			return nil, err
		}
		out.Total = all.Total
	}
	return out, nil
}
