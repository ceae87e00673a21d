package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// License assignments (R-LIC-1, R-LIC-5, R-LIC-6). The licence pool is a SKU on an account: the
// subscriptions of that SKU on every enrollment activated on the account plus the account's
// direct (MOSP) purchases (R-ENR-2). The rules are licensing.DecideAssignment,
// DecideRemoval and DecideQuantityLowering; this file loads their facts and writes their
// outcome, serialized per account.
//
// Quantities: a subscription's quantity column holds the licenses of processed orders still
// pending (R-ORD-5) too. Those are not on the account yet: licensing.LicensedQuantityAt leaves
// them out, so they are not assignable, and assignment, conflicts and the summary report them
// apart, as pending, from the same facts (the quantity and its recent changes).

// MaxUsersPerAssignment bounds the users of one assign or remove call, so one call is one
// short transaction and one bounded IN list.
const MaxUsersPerAssignment = 1000

// LicenseAssignment is one license of a SKU given to one user of an account.
type LicenseAssignment struct {
	ID         int64
	ResellerID int64
	AccountID  int64
	UserID     int64
	SKU        string `gorm:"column:sku"`
	AssignedAt time.Time
}

func (LicenseAssignment) TableName() string { return "license_assignments" }

// AssignmentResult is the state of one pool after an assign or remove call.
type AssignmentResult struct {
	AccountID int64
	SKU       string
	Licensed  int // ACTIVE quantity on the account as of the call's instant (R-SUB-1)
	Pending   int // ACTIVE quantity not yet on the account then (R-ORD-5): not assignable
	InGrace   int // IN_GRACE quantity then: covers users, allows no new one (R-LIC-2, R-SUB-4)
	Assigned  int // users holding the SKU on the account after the call
	// Changed: the users newly assigned (AssignLicenses) or whose license was removed
	// (RemoveLicenses), in request order, each once (user names as stored, lower case).
	Changed []string
	// Unchanged: requested users who already held the SKU (assign) or did not hold it
	// (remove); both calls are idempotent.
	Unchanged []string
}

// Available is how many more users can be assigned now (R-LIC-1); 0 in a conflict.
func (r AssignmentResult) Available() int { return max(r.Licensed-r.Assigned, 0) }

// Row is the pool's license summary row after the call, as the summary shows it (R-BI-1).
func (r AssignmentResult) Row() licensing.SummaryRow {
	return licensing.NewSummaryCell(r.Licensed, r.Pending, r.InGrace, 0, r.Assigned)
}

// poolState reads the pool of sku on the account: its ACTIVE and IN_GRACE quantities as of now
// and how many users it is assigned to, a result with no change yet.
func (s *Store) poolState(ctx context.Context, a *Account, sku string, now time.Time) (*AssignmentResult, error) {
	subs, err := s.PoolSubscriptions(ctx, a.ResellerID, a.ID, sku, now)
	if err != nil {
		return nil, err
	}
	assigned, err := s.AssignedCount(ctx, a.ResellerID, a.ID, sku)
	if err != nil {
		return nil, err
	}
	row := licensing.SummaryCellAt(licensing.SKUHoldings{SKU: sku, Subscriptions: subs}, now)
	return &AssignmentResult{AccountID: a.ID, SKU: sku, Licensed: row.Licensed, Pending: row.Pending, InGrace: row.InGrace, Assigned: assigned}, nil
}

// AssignLicenses assigns a SKU on an account to users (R-LIC-1): refused with
// NOT_ENOUGH_LICENSES on ["users"] (naming the number missing) when the new users would pass
// the ACTIVE quantity as of now; users already holding the SKU use no further license.
// Unknown account: NOT_FOUND on ["account"]; unknown user: NOT_FOUND on ["users", i];
// SKU not in the catalog: UNKNOWN_SKU on ["sku"]. All or nothing.
func (s *Store) AssignLicenses(ctx context.Context, c Caller, accountID int64, sku string, userNames []string, now time.Time) (*AssignmentResult, error) {
	sku = strings.TrimSpace(sku)
	var out *AssignmentResult
	err := s.InTx(ctx, func(tx *Store) error {
		// Locking and writing the account row serializes every assignment change of the account,
		// on one server and across cluster nodes, so the count below cannot be overtaken between
		// the check and the insert (R-LIC-1), nor the quantity by a lowering (R-LIC-6).
		a, users, err := tx.lockPoolAndUsers(ctx, c, accountID, sku, userNames)
		if err != nil {
			return err
		}
		pool, err := tx.poolState(ctx, a, sku, now)
		if err != nil {
			return err
		}
		held, err := tx.assignedAmong(ctx, a.ResellerID, a.ID, sku, users)
		if err != nil {
			return err
		}
		names := make([]string, len(users))
		for i, u := range users {
			names[i] = u.UserName
		}
		fresh := licensing.NewAssignees(names, held)
		if err := problem(licensing.DecideAssignment(sku, pool.Licensed, pool.Pending, pool.Assigned, len(fresh))); err != nil {
			return err
		}
		ids := map[string]int64{}
		for _, u := range users {
			ids[u.UserName] = u.ID
		}
		rows := make([]LicenseAssignment, len(fresh))
		for i, name := range fresh {
			rows[i] = LicenseAssignment{ID: newID(), ResellerID: a.ResellerID, AccountID: a.ID, UserID: ids[name], SKU: sku, AssignedAt: now}
		}
		if len(rows) > 0 {
			if err := tx.ctx(ctx).CreateInBatches(rows, 500).Error; err != nil && isDuplicate(err) {
				// Only a commit this transaction could not see yet (another node's) holds the key:
				// run again and see it.
				return fmt.Errorf("%w: license assigned concurrently", errRetry)
			} else if err != nil {
				return err
			}
			if err := tx.adjustPool(ctx, a.ResellerID, a.ID, sku, len(rows), now); err != nil {
				return err
			}
		}
		out = pool
		out.Assigned, out.Changed, out.Unchanged = pool.Assigned+len(fresh), fresh, unchanged(names, fresh)
		return nil
	})
	if err != nil {
		return nil, wrap("assign licenses", err)
	}
	return out, nil
}

// RemoveLicenses takes a SKU away from users of an account. It deletes their data for the
// license, so it is refused with DATA_LOSS_NOT_CONFIRMED on ["dataLossConfirmed"] unless
// confirmDataLoss (R-LIC-5). Users who do not hold the SKU are left as they are. Refusals
// as AssignLicenses. now is the instant of Licensed in the result.
func (s *Store) RemoveLicenses(ctx context.Context, c Caller, accountID int64, sku string, userNames []string, confirmDataLoss bool, now time.Time) (*AssignmentResult, error) {
	sku = strings.TrimSpace(sku)
	var out *AssignmentResult
	err := s.InTx(ctx, func(tx *Store) error {
		var ps licensing.Problems
		if p := licensing.DecideRemoval(confirmDataLoss); p != nil {
			ps = append(ps, *p)
		}
		a, users, err := tx.lockPoolAndUsers(ctx, c, accountID, sku, userNames)
		var more licensing.Problems
		if errors.As(err, &more) {
			return append(ps, more...)
		} else if err != nil {
			return err
		}
		if err := ps.Err(); err != nil {
			return err
		}
		conflicts, err := tx.watchConflicts(ctx, a.ResellerID, now, &a.ID) // removing users may resolve one
		if err != nil {
			return err
		}
		held, err := tx.assignedAmong(ctx, a.ResellerID, a.ID, sku, users)
		if err != nil {
			return err
		}
		var names, gone []string
		var goneIDs []int64
		for _, u := range users {
			names = append(names, u.UserName)
			if held[u.UserName] && !slices.Contains(gone, u.UserName) {
				gone = append(gone, u.UserName)
				goneIDs = append(goneIDs, u.ID)
			}
		}
		if len(goneIDs) > 0 {
			if err := tx.ctx(ctx).Where("reseller_id = ? AND account_id = ? AND sku = ? AND user_id IN ?", a.ResellerID, a.ID, sku, goneIDs).
				Delete(&LicenseAssignment{}).Error; err != nil {
				return err
			}
			if err := tx.adjustPool(ctx, a.ResellerID, a.ID, sku, -len(goneIDs), now); err != nil {
				return err
			}
		}
		if out, err = tx.poolState(ctx, a, sku, now); err != nil {
			return err
		}
		out.Changed, out.Unchanged = nonNil(gone), unchanged(names, gone)
		return conflicts.record(ctx, tx)
	})
	if err != nil {
		return nil, wrap("remove licenses", err)
	}
	return out, nil
}

// DeletedUser is what DeleteAccountUser removed.
type DeletedUser struct {
	User AccountUser
	// FreedSKUs are the SKUs whose license the user held, ascending: one license each is
	// free again (R-LIC-5).
	FreedSKUs []string
}

// DeleteAccountUser deletes a user of an account with all their assignments, in one
// transaction: deleting a user frees their licenses (R-LIC-5), which may resolve conflicts as of
// now. Unknown account: NOT_FOUND on ["accountId"]; unknown user: NOT_FOUND on ["user"].
func (s *Store) DeleteAccountUser(ctx context.Context, c Caller, accountID int64, userName string, now time.Time) (*DeletedUser, error) {
	var out *DeletedUser
	err := s.InTx(ctx, func(tx *Store) error {
		a, err := tx.lockAccount(ctx, c, accountID)
		if err != nil {
			return err
		}
		conflicts, err := tx.watchConflicts(ctx, a.ResellerID, now, &a.ID)
		if err != nil {
			return err
		}
		var u AccountUser
		err = tx.ctx(ctx).Where("reseller_id = ? AND account_id = ? AND user_name = ?", a.ResellerID, a.ID, normalizeUserName(userName)).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return refuse(licensing.CodeNotFound, fmt.Sprintf("no user %q on this account", userName), "user")
		} else if err != nil {
			return err
		}
		var skus []string
		if err := tx.ctx(ctx).Model(&LicenseAssignment{}).Where("reseller_id = ? AND user_id = ?", a.ResellerID, u.ID).
			Order("sku").Pluck("sku", &skus).Error; err != nil {
			return err
		}
		if err := tx.ctx(ctx).Where("reseller_id = ? AND user_id = ?", a.ResellerID, u.ID).Delete(&LicenseAssignment{}).Error; err != nil {
			return err
		}
		for _, sku := range skus {
			if err := tx.adjustPool(ctx, a.ResellerID, a.ID, sku, -1, now); err != nil {
				return err
			}
		}
		if err := tx.ctx(ctx).Where("reseller_id = ? AND id = ?", a.ResellerID, u.ID).Delete(&AccountUser{}).Error; err != nil {
			return err
		}
		out = &DeletedUser{User: u, FreedSKUs: nonNil(skus)}
		return conflicts.record(ctx, tx)
	})
	if err != nil {
		return nil, wrap("delete account user", err)
	}
	return out, nil
}

// AssignedCount is the number of users holding sku on the account. On a Store made by InTx
// it is a locking read in that transaction (see forUpdate); under the account lock
// (LockLicensePool) it cannot change before the transaction ends (R-LIC-1, R-LIC-6).
// resellerID is the account's reseller (for example Subscription.ResellerID): it leads the
// index.
func (s *Store) AssignedCount(ctx context.Context, resellerID, accountID int64, sku string) (int, error) {
	var n int64
	err := s.forUpdate(ctx).Model(&LicenseAssignment{}).Where("reseller_id = ? AND account_id = ? AND sku = ?", resellerID, accountID, sku).Count(&n).Error
	return int(n), err
}

// forUpdate is a locking read inside a transaction, a plain one outside. A locking read
// returns the latest committed rows even when the transaction's REPEATABLE READ snapshot
// is older than the account lock it holds (an earlier plain read took it), so a decision
// under that lock never rests on stale counts or quantities. The rows it locks are only
// written under the same account lock, so it adds no waiting.
func (s *Store) forUpdate(ctx context.Context) *gorm.DB {
	if s.inTx {
		return s.ctx(ctx).Clauses(lockForUpdate)
	}
	return s.ctx(ctx)
}

// AccountOfSubscription is the account a subscription's licenses are on: its enrollment's
// account, or the account of a direct (MOSP) purchase; nil when the enrollment is not
// activated yet (no pool, so nothing can be assigned or in conflict).
func (s *Store) AccountOfSubscription(ctx context.Context, sub *Subscription) (*int64, error) {
	return s.accountOfSubscription(ctx, sub, false)
}

// accountOfSubscription is AccountOfSubscription; lock reads the enrollment FOR UPDATE, so that
// its account cannot change (a remap) until the transaction ends.
func (s *Store) accountOfSubscription(ctx context.Context, sub *Subscription, lock bool) (*int64, error) {
	if sub.EnrollmentID == nil {
		return sub.DirectAccountID, nil
	}
	q := s.ctx(ctx)
	if lock {
		q = q.Clauses(lockForUpdate)
	}
	var e Enrollment
	if err := q.Where("reseller_id = ? AND id = ?", sub.ResellerID, *sub.EnrollmentID).Take(&e).Error; err != nil {
		return nil, notFound(err)
	}
	return e.AccountID, nil
}

// LockLicensePool locks the account row (SELECT ... FOR UPDATE) that serializes assignment
// changes on the account, and writes it (guard), so that the change also conflicts with one
// made through another cluster node; call it inside InTx before a write that depends on the
// assigned count or on the licensed quantity of one of the account's pools.
func (s *Store) LockLicensePool(ctx context.Context, resellerID, accountID int64) error {
	var a Account
	if err := s.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND id = ?", resellerID, accountID).Take(&a).Error; err != nil {
		return err
	}
	return s.guard(ctx, guardAccount, a.ID)
}

// CheckQuantityLowering applies R-LIC-6 to a change of sub's quantity to newQuantity, inside
// the transaction that makes the change (sub loaded there, locked): lowering a quantity so
// that the SKU's ACTIVE quantity on the account as of now (every subscription of the pool,
// this one at newQuantity) falls below the users assigned is refused with BELOW_ASSIGNED on
// ["quantity"] unless acceptConflict. Raising, or a subscription on no account, passes. It
// locks the account row, so no assignment slips in before the change commits.
func (s *Store) CheckQuantityLowering(ctx context.Context, sub *Subscription, newQuantity int, acceptConflict bool, now time.Time) error {
	if !licensing.Lowers(sub.Quantity, newQuantity) {
		return nil
	}
	accountID, err := s.AccountOfSubscription(ctx, sub)
	if err != nil || accountID == nil {
		return err
	}
	if err := s.LockLicensePool(ctx, sub.ResellerID, *accountID); err != nil {
		return err
	}
	// The pool's other subscriptions are read locked: a concurrent lowering of one of them
	// has committed by now (it held the account lock), and this sees it even with an older
	// snapshot. Two lowerings in one pool may deadlock here; InTx runs the loser again.
	subs, err := s.poolSubscriptions(ctx, sub.ResellerID, *accountID, sub.SKU, now, true)
	if err != nil {
		return err
	}
	for i := range subs {
		if subs[i].ID == sub.ID {
			subs[i].Quantity = newQuantity
		}
	}
	assigned, err := s.AssignedCount(ctx, sub.ResellerID, *accountID, sub.SKU)
	if err != nil {
		return err
	}
	return problem(licensing.DecideQuantityLowering(sub.SKU, licensing.LicensedQuantityAt(subs, now), assigned, acceptConflict))
}

// PoolSubscriptions are the subscriptions of sku on the account (enrollments activated on it
// and direct purchases), ascending by id, as licensing facts for asOf: with the changes whose
// licenses may still be pending then (R-ORD-5).
func (s *Store) PoolSubscriptions(ctx context.Context, resellerID, accountID int64, sku string, asOf time.Time) ([]licensing.HeldSubscription, error) {
	return s.poolSubscriptions(ctx, resellerID, accountID, sku, asOf, false)
}

func (s *Store) poolSubscriptions(ctx context.Context, resellerID, accountID int64, sku string, asOf time.Time, lock bool) ([]licensing.HeldSubscription, error) {
	var subs []Subscription
	var err error
	if lock && s.inTx {
		// Locking reads one branch at a time (a UNION takes no FOR UPDATE portably).
		var direct []Subscription
		err = s.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND sku = ? AND enrollment_id IN (?)", resellerID, sku,
			s.ctx(ctx).Model(&Enrollment{}).Select("id").Where("reseller_id = ? AND account_id = ?", resellerID, accountID)).Find(&subs).Error
		if err == nil {
			err = s.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND direct_account_id = ? AND enrollment_id IS NULL AND sku = ?", resellerID, accountID, sku).
				Find(&direct).Error
		}
		subs = append(subs, direct...)
		slices.SortFunc(subs, func(a, b Subscription) int { return cmp.Compare(a.ID, b.ID) })
	} else {
		subs, err = s.accountSubscriptions(ctx, resellerID, accountID, &sku)
	}
	if err != nil {
		return nil, err
	}
	return s.heldSubscriptions(ctx, resellerID, subs, asOf.Add(-licensing.OrderPendingPeriod), lock)
}

// heldSubscriptions are subs as licensing facts, with their changes effective after since
// (quantityChanges).
func (s *Store) heldSubscriptions(ctx context.Context, resellerID int64, subs []Subscription, since time.Time, lock bool) ([]licensing.HeldSubscription, error) {
	ids := make([]int64, len(subs))
	for i, sub := range subs {
		ids[i] = sub.ID
	}
	changes, err := s.quantityChanges(ctx, []int64{resellerID}, ids, since, lock)
	if err != nil {
		return nil, err
	}
	out := make([]licensing.HeldSubscription, len(subs))
	for i, sub := range subs {
		out[i] = licensing.HeldSubscription{ID: sub.ID, Quantity: sub.Quantity, Term: sub.Term(), Changes: changes[sub.ID]}
	}
	return out, nil
}

// accountSubscriptions loads the subscriptions whose licenses are on the account (of one SKU
// when sku is set), ascending by id. Two index lookups joined by UNION ALL rather than an OR
// that no index serves; a subscription with an enrollment belongs to that enrollment's
// account only, as in AccountOfSubscription and the summary.
func (s *Store) accountSubscriptions(ctx context.Context, resellerID, accountID int64, sku *string) ([]Subscription, error) {
	onSKU, args := "", []any{resellerID, resellerID, accountID}
	if sku != nil {
		onSKU = " AND s.sku = ?"
		args = append(args, *sku)
	}
	args = append(args, resellerID, accountID)
	if sku != nil {
		args = append(args, *sku)
	}
	var subs []Subscription
	err := s.ctx(ctx).Raw(`SELECT s.* FROM enrollments e JOIN subscriptions s ON s.reseller_id = ? AND s.enrollment_id = e.id
		WHERE e.reseller_id = ? AND e.account_id = ?`+onSKU+`
		UNION ALL
		SELECT s.* FROM subscriptions s WHERE s.reseller_id = ? AND s.direct_account_id = ? AND s.enrollment_id IS NULL`+onSKU+`
		ORDER BY id`, args...).Scan(&subs).Error
	return subs, err
}

// lockAccount locks one of the caller's accounts (the pool lock of every assignment change)
// and writes it (guard: the lock holds on one cluster node only), or refuses with NOT_FOUND on
// ["account"].
func (s *Store) lockAccount(ctx context.Context, c Caller, accountID int64) (*Account, error) {
	a, err := lockByID[Account](ctx, s, c, accountID, "account", "account")
	if err != nil {
		return nil, err
	}
	return a, s.guard(ctx, guardAccount, a.ID)
}

// lockPoolAndUsers checks an assign or remove call and locks its account: the account, the
// SKU and every user name are checked together so one refusal lists every problem. Users are
// returned in request order (duplicates kept, NewAssignees drops them).
func (s *Store) lockPoolAndUsers(ctx context.Context, c Caller, accountID int64, sku string, userNames []string) (*Account, []AccountUser, error) {
	// The lock is the transaction's first statement: under REPEATABLE READ (MySQL, MariaDB)
	// the snapshot of the plain reads after it is then taken after the previous holder
	// committed, so they see its assignments (R-LIC-1 under concurrency).
	a, lockErr := s.lockAccount(ctx, c, accountID)
	var ps licensing.Problems
	if lockErr != nil && !errors.As(lockErr, &ps) {
		return nil, nil, lockErr
	}
	switch {
	case len(userNames) == 0:
		ps.Add(licensing.CodeRequired, "name at least one user", "users")
	case len(userNames) > MaxUsersPerAssignment:
		ps.Add(licensing.CodeInvalid, fmt.Sprintf("at most %d users per call", MaxUsersPerAssignment), "users")
	}
	skus, err := s.SKUsByCode(ctx, []string{sku})
	if err != nil {
		return nil, nil, err
	}
	if len(skus) == 0 {
		ps.Add(licensing.CodeUnknownSKU, fmt.Sprintf("SKU %q is not in the catalog", sku), "sku")
	}
	if err := ps.Err(); err != nil {
		return nil, nil, err
	}
	names := make([]string, len(userNames))
	for i, n := range userNames {
		names[i] = normalizeUserName(n)
	}
	var found []AccountUser
	if err := s.ctx(ctx).Where("reseller_id = ? AND account_id = ? AND user_name IN ?", a.ResellerID, a.ID, names).Find(&found).Error; err != nil {
		return nil, nil, err
	}
	byName := map[string]AccountUser{}
	for _, u := range found {
		byName[u.UserName] = u
	}
	users := make([]AccountUser, 0, len(names))
	for i, n := range names {
		u, ok := byName[n]
		if !ok {
			ps.Add(licensing.CodeNotFound, fmt.Sprintf("no user %q on this account", userNames[i]), "users", fmt.Sprint(i))
			continue
		}
		users = append(users, u)
	}
	if err := ps.Err(); err != nil {
		return nil, nil, err
	}
	return a, users, nil
}

// assignedAmong tells which of users hold sku on the account, by user name.
func (s *Store) assignedAmong(ctx context.Context, resellerID, accountID int64, sku string, users []AccountUser) (map[string]bool, error) {
	ids := make([]int64, len(users))
	names := map[int64]string{}
	for i, u := range users {
		ids[i] = u.ID
		names[u.ID] = u.UserName
	}
	var held []int64
	err := s.forUpdate(ctx).Model(&LicenseAssignment{}).Where("reseller_id = ? AND account_id = ? AND sku = ? AND user_id IN ?", resellerID, accountID, sku, ids).
		Pluck("user_id", &held).Error
	out := map[string]bool{}
	for _, id := range held {
		out[names[id]] = true
	}
	return out, err
}

// adjustPool adds delta to the pool's assigned count in license_pools, in the transaction
// that changed the assignments and under its account lock, so no two writers race on the
// row and the plain update-or-insert needs no dialect-specific upsert. A pool back to zero
// users is dropped. The pool's summary cells follow (touchPools).
func (s *Store) adjustPool(ctx context.Context, resellerID, accountID int64, sku string, delta int, now time.Time) error {
	if delta == 0 {
		return nil
	}
	if err := s.touchPools(ctx, now, cellPool{ResellerID: resellerID, Account: accountID, SKU: sku}); err != nil {
		return err
	}
	q := s.ctx(ctx).Model(&LicensePool{}).Where("reseller_id = ? AND account_id = ? AND sku = ?", resellerID, accountID, sku)
	res := q.Session(&gorm.Session{}).Update("assigned", gorm.Expr("assigned + ?", delta))
	if res.Error != nil {
		return res.Error
	}
	switch {
	case res.RowsAffected == 0 && delta > 0:
		return s.ctx(ctx).Create(&LicensePool{ResellerID: resellerID, AccountID: accountID, SKU: sku, Assigned: delta}).Error
	case res.RowsAffected == 0:
		return fmt.Errorf("license_pools has no row for account %d, %s: run RebuildLicensePools", accountID, sku)
	case delta < 0:
		return q.Session(&gorm.Session{}).Where("assigned <= 0").Delete(&LicensePool{}).Error
	}
	return nil
}

// LicensePool is the number of users assigned a SKU on an account: a counter of
// license_assignments kept for the aggregations (R-BI-2); decisions count the assignments.
type LicensePool struct {
	ResellerID int64  `gorm:"primaryKey;autoIncrement:false"`
	AccountID  int64  `gorm:"primaryKey;autoIncrement:false"`
	SKU        string `gorm:"column:sku;primaryKey"`
	Assigned   int
}

func (LicensePool) TableName() string { return "license_pools" }

// RebuildLicensePools recomputes license_pools from license_assignments, in one transaction:
// a repair tool for operators, and the step after writing assignments in bulk (Seed, tests).
// The summary and the conflict list read the counters; assignment decisions do not.
func (s *Store) RebuildLicensePools(ctx context.Context) error {
	err := wrap("rebuild license pools", s.InTx(ctx, func(tx *Store) error {
		if err := tx.ctx(ctx).Exec("DELETE FROM license_pools").Error; err != nil {
			return err
		}
		return tx.ctx(ctx).Exec(`INSERT INTO license_pools (reseller_id, account_id, sku, assigned)
			SELECT reseller_id, account_id, sku, COUNT(*) FROM license_assignments GROUP BY reseller_id, account_id, sku`).Error
	}))
	if err != nil {
		return err
	}
	// Bulk writes bypass the rollup: recompute it too (RebuildLicenseCells).
	return s.RebuildLicenseCells(ctx, time.Now())
}

// normalizeUserName matches insertUsers, which stores user names in lower case.
func normalizeUserName(n string) string { return strings.ToLower(strings.TrimSpace(n)) }

// unchanged lists the requested names not in changed, in request order, each once.
func unchanged(requested, changed []string) []string {
	out := []string{}
	for _, n := range requested {
		if !slices.Contains(changed, n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
