package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Putting an enrollment onto an account: automatically when an order is processed
// (R-ACT-2, R-ACT-3, R-ENR-5), by support (R-ENR-4) or by product key (R-ACT-13).

// ProductKey books an Open Value order line's licenses onto an account (R-ACT-13).
type ProductKey struct {
	ID                int64
	ResellerID        int64
	OrderID           int64
	EnrollmentID      int64
	SKU               string `gorm:"column:sku"`
	Quantity          int
	ProductKey        string
	CreatedAt         time.Time
	RedeemedAt        *time.Time
	RedeemedAccountID *int64
}

// accountFacts loads what activation needs of accounts: country, verified domains,
// administrators and the SKUs already licensed there, but those of the enrollments except
// (which would land there themselves, or leave).
func (s *Store) accountFacts(ctx context.Context, resellerID int64, q func(*gorm.DB) *gorm.DB, except ...int64) ([]licensing.ActivationAccount, error) {
	var accounts []Account
	if err := q(s.ctx(ctx).Where("reseller_id = ?", resellerID)).Order("id").Find(&accounts).Error; err != nil || len(accounts) == 0 {
		return nil, err
	}
	return s.factsOfAccounts(ctx, resellerID, accounts, except)
}

// factsOfAccounts is accountFacts of the accounts read.
func (s *Store) factsOfAccounts(ctx context.Context, resellerID int64, accounts []Account, except []int64) ([]licensing.ActivationAccount, error) {
	ids := make([]int64, len(accounts))
	for i, a := range accounts {
		ids[i] = a.ID
	}
	facts, err := s.accountFactRows(ctx, resellerID, ids, except)
	if err != nil {
		return nil, err
	}
	return accountsWithFacts(accounts, facts), nil
}

// accountsWithFacts is what activation needs of accounts, from their rows and their facts (rows
// of kinds D, A and K of accountFactsSQL; others are skipped).
func accountsWithFacts(accounts []Account, facts []statusRow) []licensing.ActivationAccount {
	out := make([]licensing.ActivationAccount, len(accounts))
	at := make(map[int64]int, len(accounts))
	for i, a := range accounts {
		out[i], at[a.ID] = licensing.ActivationAccount{ID: a.ID, Name: a.Name, Country: a.Country}, i
	}
	for _, f := range facts {
		i, ok := at[f.Account]
		if !ok {
			continue
		}
		a := &out[i]
		switch f.Kind {
		case "D":
			a.VerifiedDomains = append(a.VerifiedDomains, f.Text1)
		case "A":
			a.Admins = append(a.Admins, licensing.AccountAdmin{Email: f.Text1, Role: licensing.AdminRole(f.Text2)})
		case "K":
			if !slices.Contains(a.SKUs, f.Text1) {
				a.SKUs = append(a.SKUs, f.Text1)
			}
		}
	}
	return out
}

// accountFactsSQL reads, as statusRows, the verified domains (kind D: Text1 the domain),
// administrators (A: Text1 the email, Text2 the role) and SKUs licensed (K: Text1 the code) of
// accounts (Account). The SKUs are their enrollments' subscriptions, but those of some
// enrollments (which would land there themselves, or leave), and their direct purchases.
// accountFactsArgs are its arguments; statusFacts reads it with an enrollment's other facts.
const accountFactsSQL = `SELECT 'D' AS kind, id, account_id AS account, domain AS text1, '' AS text2, '' AS text3,
			NULL AS at1, NULL AS at2, NULL AS at3, NULL AS day FROM account_domains WHERE reseller_id = ? AND account_id IN ?
		UNION ALL SELECT 'A', id, account_id, email, role, '', NULL, NULL, NULL, NULL FROM account_admins WHERE reseller_id = ? AND account_id IN ?
		UNION ALL SELECT 'K', 0, e.account_id, su.sku, '', '', NULL, NULL, NULL, NULL FROM subscriptions su JOIN enrollments e ON e.id = su.enrollment_id
			WHERE su.reseller_id = ? AND e.reseller_id = ? AND e.account_id IN ? AND e.id NOT IN ?
		UNION ALL SELECT 'K', 0, su.direct_account_id, su.sku, '', '', NULL, NULL, NULL, NULL FROM subscriptions su
			WHERE su.reseller_id = ? AND su.direct_account_id IN ?`

// accountFactsArgs are accountFactsSQL's arguments: the accounts ids, without the SKUs of the
// enrollments except.
func accountFactsArgs(resellerID int64, ids, except []int64) []any {
	except = append(slices.Clip(except), 0) // never empty: NOT IN () is no SQL
	return []any{resellerID, ids, resellerID, ids, resellerID, resellerID, ids, except, resellerID, ids}
}

// accountFactRows reads the domains, administrators and SKUs of accounts in one statement (one
// round trip for every activation check; accountFactsSQL).
func (s *Store) accountFactRows(ctx context.Context, resellerID int64, ids, except []int64) ([]statusRow, error) {
	facts, err := scanAll[statusRow](s.ctx(ctx).Raw(accountFactsSQL, accountFactsArgs(resellerID, ids, except)...))
	sortFacts(facts)
	return facts, err
}

// agreementAccount is the account where another enrollment of e's agreement holds Office 365,
// Microsoft 365 or Intune licenses (licensing.AgreementAccount, for BoundAccount), if any: the
// families each of the agreement's other enrollments holds on its account are its facts.
func (s *Store) agreementAccount(ctx context.Context, e *Enrollment) (*int64, error) {
	var holdings []licensing.AgreementHolding
	err := s.ctx(ctx).Raw(`SELECT DISTINCT e.id AS enrollment_id, e.account_id AS account_id, k.family AS family
		FROM enrollments e JOIN subscriptions su ON su.enrollment_id = e.id JOIN skus k ON k.code = su.sku
		WHERE e.reseller_id = ? AND su.reseller_id = ? AND e.agreement_id = ? AND e.id <> ? AND e.account_id IS NOT NULL`,
		e.ResellerID, e.ResellerID, e.AgreementID, e.ID).Scan(&holdings).Error
	if err != nil {
		return nil, err
	}
	return licensing.AgreementAccount(holdings), nil
}

// associate puts an enrollment onto an account: every association passes here (a link, a
// product key, a support remap, automatically), so here it writes the enrollment's revision
// (guard: a second association decided on another cluster node from the same row then fails
// certification even when it would write the same values) and records enrollment.activated or
// .provisioned, and the conflicts its licenses resolve on the new account or open on the old.
func (s *Store) associate(ctx context.Context, e *Enrollment, accountID int64, cause licensing.AssociationCause, now time.Time) error {
	if err := s.guard(ctx, guardEnrollment, e.ID); err != nil {
		return err
	}
	conflicts, err := s.watchConflicts(ctx, e.ResellerID, now, e.AccountID, &accountID)
	if err != nil {
		return err
	}
	// Its subscriptions move from the pools on no account (or the old account) to the new one.
	if err := s.touchEnrollment(ctx, now, e.ResellerID, e.ID); err != nil {
		return err
	}
	e.AccountID, e.AssociatedAt, e.AssociationCause = &accountID, &now, cause
	upd := map[string]any{"account_id": accountID, "associated_at": now, "association_cause": cause, "renewal_needs_activation": false}
	if !cause.Automatic() {
		e.LastActivatedAt = &now
		upd["last_activated_at"] = now
	}
	if err := s.ctx(ctx).Model(e).Updates(upd).Error; err != nil {
		return err
	}
	if err := s.recordAssociation(ctx, e, now); err != nil {
		return err
	}
	return conflicts.record(ctx, s)
}

// afterOrderProcessed runs, in ProcessOrder's transaction, what processing triggers: the
// original purchase date (R-ACT-8), Open Value product keys (R-ACT-13), and the activation
// email or automatic provisioning (R-ACT-1 to R-ACT-6, R-ENR-5).
func (s *Store) afterOrderProcessed(ctx context.Context, e *Enrollment, a *Agreement, o *Order, lines []OrderLine, now time.Time) error {
	var earlier int64
	if err := s.ctx(ctx).Model(&Order{}).Where("reseller_id = ? AND enrollment_id = ? AND status = ? AND id <> ?", e.ResellerID, e.ID, licensing.OrderProcessed, o.ID).Count(&earlier).Error; err != nil {
		return err
	}
	if e.OriginalPurchaseDate.IsZero() {
		e.OriginalPurchaseDate = o.PurchaseDate
		if err := s.ctx(ctx).Model(e).Update("original_purchase_date", o.PurchaseDate).Error; err != nil {
			return err
		}
	}
	if licensing.YieldsProductKeys(a.Program) {
		for _, l := range lines {
			k := ProductKey{ID: newID(), ResellerID: o.ResellerID, OrderID: o.ID, EnrollmentID: e.ID, SKU: l.SKU, Quantity: l.Quantity, ProductKey: newProductKey(), CreatedAt: now}
			if err := s.ctx(ctx).Create(&k).Error; err != nil {
				return err
			}
		}
	}
	cu, err := byID[Customer](ctx, s, Caller{Role: RoleOperator}, a.CustomerID)
	if err != nil {
		return err
	}
	// The OSM is looked for among the same customer's accounts (R-ACT-2): another customer's
	// domain or administrator is no reason to provision there.
	accounts, err := s.accountFacts(ctx, e.ResellerID, func(q *gorm.DB) *gorm.DB { return q.Where("customer_id = ?", cu.ID) })
	if err != nil {
		return err
	}
	elines, err := s.enrollmentLines(ctx, e, now)
	if err != nil {
		return err
	}
	agreementAccount, err := s.agreementAccount(ctx, e)
	if err != nil {
		return err
	}
	names, err := s.accountNames(ctx, e.ResellerID, e.AccountID, agreementAccount)
	if err != nil {
		return err
	}
	f := licensing.EmailFacts{Program: a.Program, ProcessedAt: now, UsageStart: o.UsageStartDate,
		FirstOnlineServiceOrder: earlier == 0, AssociatedAccountID: e.AccountID, OSMEmail: e.OSMEmail, Accounts: accounts,
		HasDynamics: licensing.HasFamily(elines, licensing.FamilyDynamics365), AgreementAccountID: agreementAccount, AccountNames: names, Lines: elines}
	if f.AgreementAccount, err = s.oneAccountFacts(ctx, e.ResellerID, agreementAccount); err != nil {
		return err
	}
	plan := licensing.PlanActivationEmail(f)
	if plan.AssociateWith != nil {
		return s.associate(ctx, e, *plan.AssociateWith, plan.Cause, now)
	}
	if plan.Send {
		return s.recordEmail(ctx, e, plan.Recipient, plan.Subject, plan.Trigger, plan.ScheduledAt, plan.DueBy, now)
	}
	return nil
}

// oneAccountFacts is accountFacts of one account (nil id or no such account: nil), without the
// SKUs of the enrollments except.
func (s *Store) oneAccountFacts(ctx context.Context, resellerID int64, id *int64, except ...int64) (*licensing.ActivationAccount, error) {
	if id == nil {
		return nil, nil
	}
	// The account row through byIDs: a query request that also shows the account reads it once.
	rows, err := byIDs[Account](ctx, s, Caller{Role: RoleReseller, ResellerID: resellerID}, []int64{*id})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	accounts, err := s.factsOfAccounts(ctx, resellerID, rows, except)
	if err != nil {
		return nil, err
	}
	return &accounts[0], nil
}

// newProductKey makes a 25-character key in five groups, from an alphabet without look-alikes.
func newProductKey() string {
	const alphabet = "BCDFGHJKMPQRTVWXY2346789"
	var b [25]byte
	_, _ = rand.Read(b[:])
	var out strings.Builder
	for i, v := range b {
		if i > 0 && i%5 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(alphabet[int(v)%len(alphabet)])
	}
	return out.String()
}

// lockEnrollment loads an enrollment by number for a write in tx.
func (s *Store) lockEnrollment(ctx context.Context, c Caller, number string) (*Enrollment, error) {
	var e Enrollment
	if err := c.scope(s.ctx(ctx)).Clauses(lockForUpdate).Where("number = ?", licensing.NormalizeNumber(number)).Take(&e).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, refuse(licensing.CodeNotFound, fmt.Sprintf("no enrollment %q", number), "enrollment")
		}
		return nil, err
	}
	return &e, nil
}

// RemapEnrollment moves an enrollment and all its licenses to another account (R-ENR-4), a
// support (operator) action.
func (s *Store) RemapEnrollment(ctx context.Context, c Caller, number string, accountID int64, now time.Time) (*Enrollment, error) {
	var e *Enrollment
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if e, err = tx.lockEnrollment(ctx, c, number); err != nil {
			return err
		}
		target, err := byID[Account](ctx, tx, c, accountID)
		if err != nil || target.ResellerID != e.ResellerID {
			return refuse(licensing.CodeNotFound, "no such account", "account")
		}
		if e.AccountID == nil {
			return problem(licensing.DecideRemap(licensing.RemapFacts{NotOnAccount: true}))
		}
		lines, err := tx.enrollmentLines(ctx, e, now)
		if err != nil {
			return err
		}
		f := licensing.RemapFacts{CurrentAccountID: *e.AccountID, TargetAccountID: accountID}
		for _, l := range lines {
			if !slices.Contains(f.EnrollmentFamilies, l.Family) {
				f.EnrollmentFamilies = append(f.EnrollmentFamilies, l.Family)
			}
		}
		var fams []licensing.Family
		err = tx.ctx(ctx).Raw(`SELECT DISTINCT k.family FROM enrollments e JOIN subscriptions su ON su.enrollment_id = e.id JOIN skus k ON k.code = su.sku
			WHERE e.reseller_id = ? AND su.reseller_id = ? AND e.agreement_id = ? AND e.id <> ? AND e.account_id = ?`,
			e.ResellerID, e.ResellerID, e.AgreementID, e.ID, *e.AccountID).Scan(&fams).Error
		if err != nil {
			return err
		}
		f.AgreementFamiliesOnCurrentAccount = fams
		if f.AccountNames, err = tx.accountNames(ctx, e.ResellerID, e.AccountID); err != nil {
			return err
		}
		if err := problem(licensing.DecideRemap(f)); err != nil {
			return err
		}
		return tx.associate(ctx, e, accountID, licensing.AssociatedBySupportRemap, now)
	})
	return orNil(e, wrap("remap enrollment", err))
}

// ProductKeysByOrder loads the product keys of many orders (for dataloaders).
func (s *Store) ProductKeysByOrder(ctx context.Context, c Caller, orderIDs []int64) ([]ProductKey, error) {
	var rows []ProductKey
	return rows, c.scope(s.ctx(ctx)).Where("order_id IN ?", orderIDs).Order("id").Find(&rows).Error
}

// RedeemProductKey books an Open Value key's licenses onto an account (R-ACT-13): the key's
// enrollment lands on that account, which R-ENR-2 then keeps for all its licenses.
func (s *Store) RedeemProductKey(ctx context.Context, c Caller, key string, accountID int64, now time.Time) (*ProductKey, error) {
	var k ProductKey
	err := s.InTx(ctx, func(tx *Store) error {
		err := tx.ctx(ctx).Clauses(lockForUpdate).Where("product_key = ?", strings.ToUpper(strings.TrimSpace(key))).Take(&k).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		facts := licensing.KeyFacts{Found: err == nil, KeyResellerID: k.ResellerID, CallerResellerID: c.ResellerID, RedeemedAt: k.RedeemedAt}
		if c.AllResellers() {
			facts.CallerResellerID = k.ResellerID // support may redeem any reseller's key
		}
		// The key's own facts first: the account and the enrollment are read only for a key that
		// can be redeemed.
		if err := problem(licensing.DecideProductKeyRedemption(facts)); err != nil {
			return err
		}
		account, err := byID[Account](ctx, tx, c, accountID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		facts.AccountMissing, facts.TargetAccountID = err != nil || account.ResellerID != k.ResellerID, accountID
		var e Enrollment
		if !facts.AccountMissing {
			// Locked: the enrollment's account is decided here, against a concurrent activation.
			if err := tx.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND id = ?", k.ResellerID, k.EnrollmentID).Take(&e).Error; err != nil {
				return err
			}
			facts.EnrollmentAccountID = e.AccountID
			if e.AccountID == nil { // it lands there: the account must take it
				if facts.Target, err = tx.oneAccountFacts(ctx, k.ResellerID, &accountID); err != nil {
					return err
				}
				if facts.Lines, err = tx.enrollmentLines(ctx, &e, now); err != nil {
					return err
				}
			}
		}
		if err := problem(licensing.DecideProductKeyRedemption(facts)); err != nil {
			return err
		}
		if e.AccountID == nil {
			if err := tx.associate(ctx, &e, accountID, licensing.AssociatedByProductKey, now); err != nil {
				return err
			}
		}
		k.RedeemedAt, k.RedeemedAccountID = &now, &accountID
		if err := tx.ctx(ctx).Model(&k).Updates(map[string]any{"redeemed_at": now, "redeemed_account_id": accountID}).Error; err != nil {
			return err
		}
		return tx.RecordEvent(ctx, Event{ResellerID: k.ResellerID, Topic: TopicProductKeyRedeemed, OccurredAt: now, Data: NewProductKeyData(&k, e.Number)})
	})
	if err != nil {
		return nil, wrap("redeem product key", err)
	}
	return &k, nil
}

// accountNames loads the display names of the accounts a rule's messages may mention.
func (s *Store) accountNames(ctx context.Context, resellerID int64, ids ...*int64) (map[int64]string, error) {
	var want []int64
	for _, id := range ids {
		if id != nil {
			want = append(want, *id)
		}
	}
	out := map[int64]string{}
	if len(want) == 0 {
		return out, nil
	}
	var rows []Account
	if err := s.ctx(ctx).Select("id", "name").Where("reseller_id = ? AND id IN ?", resellerID, want).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, a := range rows {
		out[a.ID] = a.Name
	}
	return out, nil
}
