package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// ActivationEmail is a recorded activation email (R-ACT-1, R-ACT-7).
type ActivationEmail struct {
	ID           int64
	ResellerID   int64
	EnrollmentID int64
	Recipient    string
	Subject      string
	EmailTrigger licensing.EmailTrigger
	ScheduledAt  time.Time
	DueBy        time.Time
	SentAt       *time.Time
	CreatedAt    time.Time
	// The sending lease (see ClaimDueEmails).
	ClaimedUntil  *time.Time
	ClaimID       *int64
	Attempts      int
	NextAttemptAt *time.Time // nil: waits for support to re-enable an expired link (R-ACT-8)
	LastError     string
}

// ActivationLink is the hash of one activation token of an enrollment (R-ACT-8, R-ACT-9).
type ActivationLink struct {
	ID           int64
	ResellerID   int64
	EnrollmentID int64
	TokenHash    string
	CreatedAt    time.Time
}

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

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// onlineFamilies are the families R-ENR-4 and R-ENR-5 keep on one account with Dynamics 365.
var onlineFamilies = []licensing.Family{licensing.FamilyOffice365, licensing.FamilyMicrosoft365, licensing.FamilyIntune}

// accountFacts loads what activation needs of accounts: country, verified domains,
// administrators and the SKUs already licensed there.
func (s *Store) accountFacts(ctx context.Context, resellerID int64, q func(*gorm.DB) *gorm.DB) ([]licensing.ActivationAccount, error) {
	var accounts []Account
	if err := q(s.ctx(ctx).Where("reseller_id = ?", resellerID)).Order("id").Find(&accounts).Error; err != nil || len(accounts) == 0 {
		return nil, err
	}
	ids := make([]int64, len(accounts))
	for i, a := range accounts {
		ids[i] = a.ID
	}
	var domains []AccountDomain
	var admins []AccountAdmin
	if err := s.ctx(ctx).Where("reseller_id = ? AND account_id IN ?", resellerID, ids).Find(&domains).Error; err != nil {
		return nil, err
	}
	if err := s.ctx(ctx).Where("reseller_id = ? AND account_id IN ?", resellerID, ids).Find(&admins).Error; err != nil {
		return nil, err
	}
	type accountSKU struct {
		AccountID int64
		SKU       string
	}
	var skus []accountSKU
	// SKUs on an account: its enrollments' subscriptions and its direct purchases.
	err := s.ctx(ctx).Raw(`SELECT e.account_id AS account_id, su.sku AS sku FROM subscriptions su JOIN enrollments e ON e.id = su.enrollment_id
		WHERE su.reseller_id = ? AND e.reseller_id = ? AND e.account_id IN ?
		UNION SELECT su.direct_account_id, su.sku FROM subscriptions su WHERE su.reseller_id = ? AND su.direct_account_id IN ?`,
		resellerID, resellerID, ids, resellerID, ids).Scan(&skus).Error
	if err != nil {
		return nil, err
	}
	out := make([]licensing.ActivationAccount, len(accounts))
	for i, a := range accounts {
		out[i] = licensing.ActivationAccount{ID: a.ID, Name: a.Name, Country: a.Country}
		for _, d := range domains {
			if d.AccountID == a.ID {
				out[i].VerifiedDomains = append(out[i].VerifiedDomains, d.Domain)
			}
		}
		for _, ad := range admins {
			if ad.AccountID == a.ID {
				out[i].Admins = append(out[i].Admins, licensing.AccountAdmin{Email: ad.Email, Role: ad.Role})
			}
		}
		for _, k := range skus {
			if k.AccountID == a.ID && !slices.Contains(out[i].SKUs, k.SKU) {
				out[i].SKUs = append(out[i].SKUs, k.SKU)
			}
		}
	}
	return out, nil
}

// enrollmentLines returns the SKUs subscribed on an enrollment and ACTIVE as of asOf (a
// cancelled or expired subscription is no line: R-SUB-1), with catalog facts and when their
// latest processed licenses stop being pending (R-ORD-5).
func (s *Store) enrollmentLines(ctx context.Context, e *Enrollment, asOf time.Time) ([]licensing.ActivationLine, error) {
	var subs []Subscription
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ?", e.ResellerID, e.ID).Order("sku").Find(&subs).Error; err != nil {
		return nil, err
	}
	var codes []string
	for _, sub := range subs {
		if sub.Term().StatusAt(asOf).Counts() {
			codes = append(codes, sub.SKU)
		}
	}
	catalog, err := s.SKUsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	type processedLine struct {
		SKU         string
		ProcessedAt time.Time
	}
	var processed []processedLine
	// Plain columns, not MAX(): SQLite returns an aggregate of a time column as text.
	err = s.ctx(ctx).Raw(`SELECT l.sku AS sku, o.processed_at AS processed_at FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.reseller_id = ? AND l.reseller_id = ? AND o.enrollment_id = ? AND o.status = ?`,
		e.ResellerID, e.ResellerID, e.ID, licensing.OrderProcessed).Scan(&processed).Error
	if err != nil {
		return nil, err
	}
	latest := map[string]time.Time{}
	for _, p := range processed {
		if p.ProcessedAt.After(latest[p.SKU]) {
			latest[p.SKU] = p.ProcessedAt
		}
	}
	var out []licensing.ActivationLine
	for _, k := range catalog {
		line := licensing.ActivationLine{SKU: k.Code, Family: k.Family, Kind: k.Kind, BaseSKUs: k.BaseList(), Countries: k.CountryList(), IncompatibleSKUs: k.IncompatibleList()}
		if at, ok := latest[k.Code]; ok {
			until := licensing.PendingUntil(at)
			line.PendingUntil = &until
		}
		out = append(out, line)
	}
	slices.SortFunc(out, func(a, b licensing.ActivationLine) int { return strings.Compare(a.SKU, b.SKU) })
	return out, nil
}

// agreementAccount is the account holding an ENTERPRISE agreement's Office 365, Microsoft 365
// or Intune licenses through another enrollment (R-ENR-5), if any.
func (s *Store) agreementAccount(ctx context.Context, e *Enrollment, program licensing.Program) (*int64, error) {
	if program != licensing.ProgramEnterprise {
		return nil, nil
	}
	var ids []int64
	err := s.ctx(ctx).Raw(`SELECT e.account_id FROM enrollments e JOIN subscriptions su ON su.enrollment_id = e.id JOIN skus k ON k.code = su.sku
		WHERE e.reseller_id = ? AND su.reseller_id = ? AND e.agreement_id = ? AND e.id <> ? AND e.account_id IS NOT NULL AND k.family IN ?
		ORDER BY e.id LIMIT 1`, e.ResellerID, e.ResellerID, e.AgreementID, e.ID, onlineFamilies).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return &ids[0], nil
}

func hasFamily(lines []licensing.ActivationLine, f licensing.Family) bool {
	return slices.ContainsFunc(lines, func(l licensing.ActivationLine) bool { return l.Family == f })
}

// associate puts an enrollment onto an account.
func (s *Store) associate(ctx context.Context, e *Enrollment, accountID int64, cause licensing.AssociationCause, now time.Time) error {
	e.AccountID, e.AssociatedAt, e.AssociationCause = &accountID, &now, cause
	upd := map[string]any{"account_id": accountID, "associated_at": now, "association_cause": cause, "renewal_needs_activation": false}
	if !cause.Automatic() {
		e.LastActivatedAt = &now
		upd["last_activated_at"] = now
	}
	return s.ctx(ctx).Model(e).Updates(upd).Error
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
	if a.Program == licensing.ProgramOpenValue {
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
	// R-ACT-2 looks for the OSM among the same customer's accounts: another customer's domain
	// or administrator is no reason to provision there.
	accounts, err := s.accountFacts(ctx, e.ResellerID, func(q *gorm.DB) *gorm.DB { return q.Where("customer_id = ?", cu.ID) })
	if err != nil {
		return err
	}
	elines, err := s.enrollmentLines(ctx, e, now)
	if err != nil {
		return err
	}
	agreementAccount, err := s.agreementAccount(ctx, e, a.Program)
	if err != nil {
		return err
	}
	names, err := s.accountNames(ctx, e.ResellerID, e.AccountID, agreementAccount)
	if err != nil {
		return err
	}
	plan := licensing.PlanActivationEmail(licensing.EmailFacts{Program: a.Program, ProcessedAt: now, UsageStart: o.UsageStartDate,
		FirstOnlineServiceOrder: earlier == 0, AssociatedAccountID: e.AccountID, OSMEmail: e.OSMEmail, Accounts: accounts,
		HasDynamics: hasFamily(elines, licensing.FamilyDynamics365), AgreementAccountID: agreementAccount, AccountNames: names})
	if plan.AssociateWith != nil {
		return s.associate(ctx, e, *plan.AssociateWith, plan.Cause, now)
	}
	if plan.Send {
		return s.recordEmail(ctx, e, plan.Recipient, plan.Subject, plan.Trigger, plan.ScheduledAt, plan.DueBy, now)
	}
	return nil
}

func (s *Store) recordEmail(ctx context.Context, e *Enrollment, to, subject string, trigger licensing.EmailTrigger, at, dueBy, now time.Time) error {
	m := ActivationEmail{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, Recipient: to, Subject: subject, EmailTrigger: trigger,
		ScheduledAt: at, DueBy: dueBy, CreatedAt: now, NextAttemptAt: &at}
	return s.ctx(ctx).Create(&m).Error
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

// ActivationFacts loads everything activationStatus explains for one enrollment (R-ACT-12).
func (s *Store) ActivationFacts(ctx context.Context, c Caller, e *Enrollment, asOf time.Time) (licensing.ActivationFacts, error) {
	var f licensing.ActivationFacts
	err := s.aggregate(ctx, func() (err error) {
		f, err = s.activationFacts(ctx, c, e, asOf)
		return err
	})
	return f, err
}

func (s *Store) activationFacts(ctx context.Context, c Caller, e *Enrollment, asOf time.Time) (licensing.ActivationFacts, error) {
	f := licensing.ActivationFacts{OrganizationName: e.OrganizationName, OSMEmail: e.OSMEmail, OriginalPurchase: e.OriginalPurchaseDate,
		AssociatedAt: e.AssociatedAt, AssociationCause: e.AssociationCause, LastActivatedAt: e.LastActivatedAt,
		LinkReenabledUntil: e.LinkReenabledUntil, RenewalNeedsOwnActivation: e.RenewalNeedsActivation}
	a, err := byID[Agreement](ctx, s, c, e.AgreementID)
	if err != nil {
		return f, err
	}
	f.Program = a.Program
	var orders []Order
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ? AND status <> ?", e.ResellerID, e.ID, licensing.OrderCancelled).Order("id").Find(&orders).Error; err != nil {
		return f, err
	}
	var reservations []Reservation
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ?", e.ResellerID, e.ID).Order("reserved_at").Find(&reservations).Error; err != nil {
		return f, err
	}
	f.HasOrderOrReservation = len(orders) > 0 || len(reservations) > 0
	for _, o := range orders {
		if o.Status != licensing.OrderProcessed {
			continue
		}
		if f.FirstProcessedAt == nil || o.ProcessedAt.Before(*f.FirstProcessedAt) {
			f.FirstProcessedAt = o.ProcessedAt
		}
		if f.UsageStart.IsZero() || o.UsageStartDate.Before(f.UsageStart) {
			f.UsageStart = o.UsageStartDate
		}
	}
	if f.FirstProcessedAt == nil && e.RenewedFromID != nil {
		// A renewal is created with its lines already licensed: its creation is its first
		// processing, and its term starts the usage (R-SUB-2, R-ACT-10).
		f.HasOrderOrReservation, f.FirstProcessedAt, f.UsageStart = true, &e.CreatedAt, e.StartDate
	}
	for _, r := range reservations {
		if r.Status == licensing.ReservationPending {
			at := licensing.OverdueAt(r.ReservedAt)
			f.ReservationOverdueAt = &at
			break
		}
	}
	var emails []ActivationEmail
	if err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ?", e.ResellerID, e.ID).Order("id").Find(&emails).Error; err != nil {
		return f, err
	}
	for _, m := range emails {
		f.Emails = append(f.Emails, licensing.ActivationEmail{Recipient: m.Recipient, Trigger: m.EmailTrigger, ScheduledAt: m.ScheduledAt, SentAt: m.SentAt})
	}
	if f.Lines, err = s.enrollmentLines(ctx, e, asOf); err != nil {
		return f, err
	}
	target := e.AccountID
	if target == nil && hasFamily(f.Lines, licensing.FamilyDynamics365) {
		if target, err = s.agreementAccount(ctx, e, a.Program); err != nil {
			return f, err
		}
	}
	if target != nil {
		accounts, err := s.accountFacts(ctx, e.ResellerID, func(q *gorm.DB) *gorm.DB { return q.Where("id = ?", *target) })
		if err != nil {
			return f, err
		}
		if len(accounts) == 1 {
			// The SKUs "on the account" for compatibility are the others', not this enrollment's own.
			own := map[string]bool{}
			for _, l := range f.Lines {
				own[l.SKU] = true
			}
			acc := accounts[0]
			acc.SKUs = slices.DeleteFunc(acc.SKUs, func(k string) bool { return own[k] })
			f.Account = &acc
		}
	}
	return f, nil
}

// ActivationEmails lists an enrollment's activation emails, oldest first (R-ACT-1, R-ACT-7).
func (s *Store) ActivationEmails(ctx context.Context, c Caller, enrollmentID int64, p Page) (*List[ActivationEmail], error) {
	return list[ActivationEmail](c.scope(s.ctx(ctx).Model(&ActivationEmail{})).Where("enrollment_id = ?", enrollmentID), p)
}

// resendFacts are the facts of a resend for an enrollment.
func (s *Store) resendFacts(ctx context.Context, e *Enrollment, trigger licensing.EmailTrigger, now time.Time) (licensing.ResendFacts, error) {
	f := licensing.ResendFacts{Trigger: trigger, OSMEmail: e.OSMEmail, Associated: e.AccountID != nil, OriginalPurchase: e.OriginalPurchaseDate, LinkReenabledUntil: e.LinkReenabledUntil}
	var first []Order
	err := s.ctx(ctx).Where("reseller_id = ? AND enrollment_id = ? AND status = ?", e.ResellerID, e.ID, licensing.OrderProcessed).Order("processed_at").Limit(1).Find(&first).Error
	if len(first) == 1 {
		f.FirstProcessedAt, f.UsageStart = first[0].ProcessedAt, first[0].UsageStartDate
	} else if e.RenewedFromID != nil {
		f.FirstProcessedAt, f.UsageStart = &e.CreatedAt, e.StartDate // see ActivationFacts
	}
	if a, aerr := byID[Agreement](ctx, s, Caller{Role: RoleOperator}, e.AgreementID); aerr == nil && a.Program == licensing.ProgramOpenValue && e.AccountID != nil {
		last := e.AssociatedAt
		if e.LastActivatedAt != nil {
			last = e.LastActivatedAt
		}
		f.ActivationDue = last != nil && !now.Before(licensing.OpenValueActivationDueAt(*last)) // R-ACT-11
	}
	return f, err
}

// lockEnrollment loads an enrollment by number for a write in tx.
func (s *Store) lockEnrollment(ctx context.Context, c Caller, number string) (*Enrollment, error) {
	var e Enrollment
	if err := c.scope(s.ctx(ctx)).Clauses(lockForUpdate).Where("number = ?", licensing.NormalizeNumber(number)).Take(&e).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, refuse(licensing.CodeNotFound, fmt.Sprintf("no enrollment %q", number), "enrollmentNumber")
		}
		return nil, err
	}
	return &e, nil
}

// ContactUpdate is the outcome of updateSubscriptionContact: the email sent to the new OSM,
// or why none was (the update itself stands either way).
type ContactUpdate struct {
	Enrollment  *Enrollment
	Email       *ActivationEmail
	NotSentWhy  string
	NotSentCode licensing.Code
}

// UpdateSubscriptionContact sets the enrollment's OSM and sends the activation email to the
// new contact (R-ACT-6, R-ACT-7).
func (s *Store) UpdateSubscriptionContact(ctx context.Context, c Caller, number, name, email string, now time.Time) (*ContactUpdate, error) {
	if err := licensing.ValidateSubscriptionContact(name, email).Err(); err != nil {
		return nil, err
	}
	out := &ContactUpdate{}
	err := s.InTx(ctx, func(tx *Store) error {
		e, err := tx.lockEnrollment(ctx, c, number)
		if err != nil {
			return err
		}
		e.OSMName, e.OSMEmail = strings.TrimSpace(name), strings.TrimSpace(email)
		if err := tx.ctx(ctx).Model(e).Updates(map[string]any{"osm_name": e.OSMName, "osm_email": e.OSMEmail}).Error; err != nil {
			return err
		}
		out.Enrollment = e
		f, err := tx.resendFacts(ctx, e, licensing.EmailTriggerContactUpdated, now)
		if err != nil {
			return err
		}
		plan, p := licensing.PlanResend(f, now)
		if p != nil {
			out.NotSentWhy, out.NotSentCode = p.Message, p.Code
			return nil
		}
		out.Email, err = tx.sendEmail(ctx, e, plan, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) sendEmail(ctx context.Context, e *Enrollment, plan licensing.ResendPlan, now time.Time) (*ActivationEmail, error) {
	m := ActivationEmail{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, Recipient: plan.Recipient, Subject: plan.Subject,
		EmailTrigger: plan.Trigger, ScheduledAt: plan.SendAt, DueBy: plan.SendAt.Add(licensing.ActivationEmailWindow), CreatedAt: now,
		NextAttemptAt: &plan.SendAt}
	return &m, s.ctx(ctx).Create(&m).Error
}

// ResendActivationEmail sends the activation email again to the current OSM (R-ACT-7).
func (s *Store) ResendActivationEmail(ctx context.Context, c Caller, number string, now time.Time) (*ActivationEmail, error) {
	var m *ActivationEmail
	err := s.InTx(ctx, func(tx *Store) error {
		e, err := tx.lockEnrollment(ctx, c, number)
		if err != nil {
			return err
		}
		f, err := tx.resendFacts(ctx, e, licensing.EmailTriggerAdminResend, now)
		if err != nil {
			return err
		}
		plan, p := licensing.PlanResend(f, now)
		if p != nil {
			p.Field = []string{"enrollmentNumber"}
			return problem(p)
		}
		m, err = tx.sendEmail(ctx, e, plan, now)
		return err
	})
	return orNil(m, err)
}

// ReenableActivationLink lets an expired link work again until the given instant (R-ACT-8);
// a support (operator) action.
func (s *Store) ReenableActivationLink(ctx context.Context, c Caller, number string, until, now time.Time) (*Enrollment, error) {
	if !until.After(now) {
		return nil, refuse(licensing.CodeInvalid, "validUntil must be in the future", "validUntil")
	}
	var e *Enrollment
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if e, err = tx.lockEnrollment(ctx, c, number); err != nil {
			return err
		}
		e.LinkReenabledUntil = &until
		if err := tx.ctx(ctx).Model(e).Update("link_reenabled_until", until).Error; err != nil {
			return err
		}
		// The emails held back because the link had expired go now (R-ACT-8).
		return tx.ctx(ctx).Model(&ActivationEmail{}).Where("reseller_id = ? AND enrollment_id = ? AND sent_at IS NULL AND next_attempt_at IS NULL", e.ResellerID, e.ID).
			Updates(map[string]any{"next_attempt_at": now, "last_error": ""}).Error
	})
	return orNil(e, err)
}

// ActivationRequest is an activateEnrollment call: the token from the email and either an
// existing account or the details of a new one (R-ENR-3).
type ActivationRequest struct {
	Token      string
	AccountID  *int64
	NewAccount *licensing.AccountDraft
}

// ActivateEnrollment completes activation through a link (R-ACT-9: whoever holds the token).
// The token must belong to an enrollment of the caller's reseller: a customer activates
// through its reseller's portal, and a token of another reseller reads as unknown.
func (s *Store) ActivateEnrollment(ctx context.Context, c Caller, r ActivationRequest, now time.Time) (*Enrollment, error) {
	if (r.AccountID == nil) == (r.NewAccount == nil) {
		return nil, refuse(licensing.CodeRequired, "give either accountId (an existing account) or newAccount", "accountId")
	}
	if r.NewAccount != nil {
		if ps := r.NewAccount.Validate(); len(ps) > 0 {
			for i := range ps {
				ps[i].Field = append([]string{"newAccount"}, ps[i].Field...)
			}
			return nil, ps
		}
	}
	var e *Enrollment
	err := s.InTx(ctx, func(tx *Store) error {
		var link ActivationLink
		err := c.scope(tx.ctx(ctx)).Where("token_hash = ?", hashToken(r.Token)).Take(&link).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return refuse(licensing.CodeNotFound, "no activation link matches this token", "token")
		} else if err != nil {
			return err
		}
		if err := c.scope(tx.ctx(ctx)).Clauses(lockForUpdate).Where("id = ?", link.EnrollmentID).Take(&e).Error; err != nil {
			return err
		}
		a, err := byID[Agreement](ctx, tx, c, e.AgreementID)
		if err != nil {
			return err
		}
		f := licensing.ActivationRequestFacts{Program: a.Program, AsOf: now, OriginalPurchase: e.OriginalPurchaseDate, LinkReenabledUntil: e.LinkReenabledUntil,
			AssociatedAccountID: e.AccountID}
		if e.AccountID != nil {
			f.LicenseAccountIDs = []int64{*e.AccountID}
		}
		if f.Lines, err = tx.enrollmentLines(ctx, e, now); err != nil {
			return err
		}
		if f.AgreementAccountID, err = tx.agreementAccount(ctx, e, a.Program); err != nil {
			return err
		}
		if f.AccountNames, err = tx.accountNames(ctx, e.ResellerID, e.AccountID, f.AgreementAccountID); err != nil {
			return err
		}
		if r.AccountID != nil {
			accounts, err := tx.accountFacts(ctx, e.ResellerID, func(q *gorm.DB) *gorm.DB { return q.Where("id = ?", *r.AccountID) })
			if err != nil {
				return err
			}
			if len(accounts) == 0 {
				return refuse(licensing.CodeNotFound, "no such account", "accountId")
			}
			f.Target = &accounts[0]
		} else {
			f.NewAccountCountry = r.NewAccount.Country
		}
		decision, ps := licensing.DecideActivation(f)
		if err := ps.Err(); err != nil {
			return err
		}
		accountID := decision.AccountID
		if decision.CreateAccount {
			acc, err := tx.CreateAccount(ctx, c, a.CustomerID, *r.NewAccount)
			if err != nil {
				return err
			}
			accountID = acc.ID
		}
		return tx.associate(ctx, e, accountID, licensing.AssociatedByLink, now)
	})
	return orNil(e, err)
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
			return refuse(licensing.CodeNotFound, "no such account", "accountId")
		}
		if e.AccountID == nil {
			return refuse(licensing.CodeInvalid, "the enrollment is not on an account yet; it is activated, not remapped", "enrollmentNumber")
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
	return orNil(e, err)
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
		if err := problem(licensing.DecideProductKeyRedemption(facts)); err != nil {
			return err
		}
		account, err := byID[Account](ctx, tx, c, accountID)
		if err != nil || account.ResellerID != k.ResellerID {
			return refuse(licensing.CodeNotFound, "no such account", "accountId")
		}
		var e Enrollment
		if err := tx.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND id = ?", k.ResellerID, k.EnrollmentID).Take(&e).Error; err != nil {
			return err
		}
		if e.AccountID != nil && *e.AccountID != accountID { // R-ENR-2
			return refuse(licensing.CodeEnrollmentSplit, fmt.Sprintf("this key's enrollment is on account %d; all its licenses stay on one account", *e.AccountID), "accountId")
		}
		if e.AccountID == nil {
			if err := tx.associate(ctx, &e, accountID, licensing.AssociatedByProductKey, now); err != nil {
				return err
			}
		}
		k.RedeemedAt, k.RedeemedAccountID = &now, &accountID
		return tx.ctx(ctx).Model(&k).Updates(map[string]any{"redeemed_at": now, "redeemed_account_id": accountID}).Error
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// RenewalRequest is a renewEnrollment call: the new enrollment's number and term, and its
// lines (default: the old subscriptions' SKUs and quantities).
type RenewalRequest struct {
	EnrollmentNumber string
	NewNumber        string
	StartDate        licensing.Date
	EndDate          licensing.Date
	Lines            []licensing.OrderLineDraft
}

// Renewal is what renewEnrollment did.
type Renewal struct {
	Old, New *Enrollment
	Plan     licensing.RenewalPlan
}

// RenewEnrollment renews an enrollment into a new one with its lines: old subscriptions go
// IN_GRACE until the grace period ends, new ones are ACTIVE (R-SUB-2, R-SUB-3); the new
// enrollment joins the old account per R-ACT-10. Assignments are per account and SKU, so
// those of SKUs renewed carry over by themselves (R-SUB-4).
func (s *Store) RenewEnrollment(ctx context.Context, c Caller, r RenewalRequest, grace time.Duration, now time.Time) (*Renewal, error) {
	out := &Renewal{}
	err := s.InTx(ctx, func(tx *Store) error {
		old, err := tx.lockEnrollment(ctx, c, r.EnrollmentNumber)
		if err != nil {
			return err
		}
		if old.Status != licensing.EnrollmentActive {
			return refuse(licensing.CodeEnrollmentNotActive, "only an ACTIVE enrollment can be renewed; this one is "+string(old.Status), "enrollmentNumber")
		}
		a, err := byID[Agreement](ctx, tx, c, old.AgreementID)
		if err != nil {
			return err
		}
		var oldSubs []Subscription
		if err := tx.ctx(ctx).Clauses(lockForUpdate).Where("reseller_id = ? AND enrollment_id = ?", old.ResellerID, old.ID).Order("sku").Find(&oldSubs).Error; err != nil {
			return err
		}
		lines := r.Lines
		if len(lines) == 0 {
			for _, sub := range oldSubs {
				if sub.Term().StatusAt(now).Counts() && sub.Quantity > 0 {
					lines = append(lines, licensing.OrderLineDraft{SKU: sub.SKU, Quantity: sub.Quantity})
				}
			}
		}
		draft := licensing.OrderDraft{EnrollmentNumber: r.NewNumber, Lines: lines, PurchaseDate: r.StartDate, UsageStartDate: r.StartDate, IdempotencyKey: "renewal"}
		codes := make([]string, len(lines))
		for i, l := range lines {
			codes[i] = l.SKU
		}
		catalog, err := tx.catalogFacts(ctx, codes)
		if err != nil {
			return err
		}
		if err := licensing.ValidateOrder(draft, licensing.OrderFacts{EnrollmentStatus: licensing.EnrollmentActive, Catalog: catalog}).Err(); err != nil {
			return err
		}
		out.New, err = tx.CreateEnrollment(ctx, c, old.AgreementID, licensing.EnrollmentDraft{Number: r.NewNumber, OrganizationName: old.OrganizationName,
			OSMName: old.OSMName, OSMEmail: old.OSMEmail, StartDate: r.StartDate, EndDate: r.EndDate})
		if err != nil {
			return err
		}
		newEnr := out.New
		// Its creation stands for its first processing (see ActivationFacts): the request's
		// instant, not the wall clock's.
		newEnr.RenewedFromID, newEnr.OriginalPurchaseDate, newEnr.CreatedAt = &old.ID, r.StartDate, now
		if err := tx.ctx(ctx).Model(newEnr).Updates(map[string]any{"renewed_from_id": old.ID, "original_purchase_date": r.StartDate, "created_at": now}).Error; err != nil {
			return err
		}
		var facts licensing.RenewalFacts
		for _, sub := range oldSubs {
			facts.Old = append(facts.Old, licensing.RenewalSubscription{ID: sub.ID, SKU: sub.SKU})
		}
		for _, l := range lines {
			sub, err := tx.lockEnrollmentSubscription(ctx, newEnr, a.Program, l.SKU, now)
			if err != nil {
				return err
			}
			if err := tx.changeQuantity(ctx, sub, l.Quantity, CauseRenewal, nil, nil, now); err != nil {
				return err
			}
			facts.New = append(facts.New, licensing.RenewalSubscription{ID: sub.ID, SKU: sub.SKU})
		}
		out.Plan = licensing.PlanRenewal(facts, now, grace)
		for _, ch := range out.Plan.Old {
			if err := tx.ctx(ctx).Model(&Subscription{}).Where("reseller_id = ? AND id = ?", old.ResellerID, ch.SubscriptionID).
				Updates(map[string]any{"grace_from": ch.GraceFrom, "grace_until": ch.GraceUntil, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		old.Status = licensing.EnrollmentRenewed
		if err := tx.ctx(ctx).Model(old).Update("status", old.Status).Error; err != nil {
			return err
		}
		out.Old = old
		// R-ACT-10: the same organization name joins the old account, unless several
		// enrollments of the agreement share that name.
		var sameName int64
		// Live enrollments only: the renewed predecessors of a chain are not "several enrollments".
		if err := tx.ctx(ctx).Model(&Enrollment{}).Where("reseller_id = ? AND agreement_id = ? AND id <> ? AND LOWER(organization_name) = ? AND (status <> ? OR id = ?)",
			old.ResellerID, old.AgreementID, newEnr.ID, strings.ToLower(old.OrganizationName), licensing.EnrollmentRenewed, old.ID).Count(&sameName).Error; err != nil {
			return err
		}
		names, err := tx.accountNames(ctx, old.ResellerID, old.AccountID)
		if err != nil {
			return err
		}
		assoc := licensing.RenewalAssociation(licensing.RenewalAssociationFacts{OldOrganizationName: old.OrganizationName, NewOrganizationName: newEnr.OrganizationName,
			EnrollmentsWithOrganizationName: int(sameName), OldAccountID: old.AccountID, AccountNames: names})
		if assoc.AssociateWith != nil {
			return tx.associate(ctx, newEnr, *assoc.AssociateWith, licensing.AssociatedByRenewal, now)
		}
		newEnr.RenewalNeedsActivation = assoc.SeveralSameName
		if err := tx.ctx(ctx).Model(newEnr).Update("renewal_needs_activation", newEnr.RenewalNeedsActivation).Error; err != nil {
			return err
		}
		// Each such renewal gets its own activation email (R-ACT-10 via R-ACT-1).
		plan := licensing.PlanActivationEmail(licensing.EmailFacts{Program: a.Program, ProcessedAt: now, UsageStart: r.StartDate,
			FirstOnlineServiceOrder: true, OSMEmail: newEnr.OSMEmail})
		if plan.Send {
			return tx.recordEmail(ctx, newEnr, plan.Recipient, plan.Subject, plan.Trigger, plan.ScheduledAt, plan.DueBy, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DueEmail is an activation email claimed for sending, with a fresh token for its link and
// what its text needs.
type DueEmail struct {
	ActivationEmail
	EnrollmentNumber string
	OrganizationName string
	RecipientName    string // the OSM's name when the email goes to the current OSM
	Language         licensing.Language
	LinkExpiresAt    *time.Time // nil: the link does not expire (no purchase date yet)
	Token            string
}

// emailDue is the condition of an email a dispatcher may claim at an instant: unsent, due
// (R-ACT-4), its back-off over, not parked, and no live lease on it.
const emailDue = "sent_at IS NULL AND scheduled_at <= ? AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)"

// MaxEmailError bounds the reason of a failed attempt kept with an email, in characters.
const MaxEmailError = 500

// ClaimDueEmails claims up to limit emails due at now (across resellers), each with a lease
// until now+lease, and mints each a link token. Each claim is one transaction whose guarded
// UPDATE is the claim itself: a row another dispatcher holds under a live lease does not
// match, on any node of a cluster, so one attempt is never sent twice while its lease lives.
// A claim whose lease ran out (its dispatcher died before sending) is claimed again. After
// sending, the dispatcher calls MarkEmailSent, or ReleaseEmail when the send failed.
func (s *Store) ClaimDueEmails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DueEmail, error) {
	if lease <= 0 || limit <= 0 {
		return nil, errors.New("claim activation emails: lease and limit must be positive")
	}
	now = now.UTC() // SQLite compares instants as text: one zone for all
	var ids []int64
	if err := s.ctx(ctx).Model(&ActivationEmail{}).Where(emailDue, now, now, now).Order("next_attempt_at, id").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	var out []DueEmail
	for _, id := range ids {
		var d *DueEmail
		err := s.InTx(ctx, func(tx *Store) error {
			var err error
			d, err = tx.claimEmail(ctx, id, now, lease)
			return err
		})
		if err != nil {
			return out, err
		}
		if d != nil {
			out = append(out, *d)
		}
	}
	return out, nil
}

// claimEmail claims one email in tx; nil when another dispatcher has it or none is to be sent.
func (s *Store) claimEmail(ctx context.Context, id int64, now time.Time, lease time.Duration) (*DueEmail, error) {
	claimID := newID()
	res := s.ctx(ctx).Model(&ActivationEmail{}).Where("id = ?", id).Where(emailDue, now, now, now).
		Updates(map[string]any{"claimed_until": now.Add(lease), "claim_id": claimID, "attempts": gorm.Expr("attempts + 1")})
	if res.Error != nil || res.RowsAffected != 1 {
		return nil, res.Error
	}
	var m ActivationEmail
	if err := s.ctx(ctx).Where("id = ?", id).Take(&m).Error; err != nil {
		return nil, err
	}
	var e Enrollment
	if err := s.ctx(ctx).Where("reseller_id = ? AND id = ?", m.ResellerID, m.EnrollmentID).Take(&e).Error; err != nil {
		return nil, err
	}
	if e.AccountID != nil && m.EmailTrigger == licensing.EmailTriggerFirstOrder {
		// Provisioned meanwhile (a product key, a remap): no activation email is needed
		// any more (R-ACT-3), so the scheduled one is dropped, never sent.
		return nil, s.ctx(ctx).Delete(&ActivationEmail{}, m.ID).Error
	}
	if e.AccountID == nil && licensing.CheckActivationLink(e.OriginalPurchaseDate, e.LinkReenabledUntil, now) != nil {
		// R-ACT-8: no email goes out with an expired link. It waits, unsent, for support to
		// re-enable the link (ReenableActivationLink); this claim was no attempt.
		return nil, s.ctx(ctx).Model(&ActivationEmail{}).Where("id = ? AND claim_id = ?", id, claimID).Updates(map[string]any{
			"claimed_until": nil, "claim_id": nil, "next_attempt_at": nil, "attempts": gorm.Expr("attempts - 1"),
			"last_error": "the activation link has expired; support can re-enable it"}).Error
	}
	d := DueEmail{ActivationEmail: m, EnrollmentNumber: e.Number, OrganizationName: e.OrganizationName, Language: licensing.LanguageEnglish}
	if strings.EqualFold(strings.TrimSpace(e.OSMEmail), m.Recipient) {
		d.RecipientName = e.OSMName
	}
	if !e.OriginalPurchaseDate.IsZero() {
		exp := licensing.LinkExpiresAt(e.OriginalPurchaseDate, e.LinkReenabledUntil)
		d.LinkExpiresAt = &exp
	}
	var langs []string
	if err := s.ctx(ctx).Raw(`SELECT c.language FROM agreements a JOIN customers c ON c.id = a.customer_id WHERE a.reseller_id = ? AND a.id = ?`,
		e.ResellerID, e.AgreementID).Scan(&langs).Error; err != nil {
		return nil, err
	}
	if len(langs) == 1 && licensing.Language(langs[0]).Valid() {
		d.Language = licensing.Language(langs[0])
	}
	// Every token minted stays valid (R-ACT-9): a send that failed after the server took the
	// data may still have delivered it. Unused tokens are random and only their hash is kept.
	var b [32]byte
	_, _ = rand.Read(b[:])
	d.Token = hex.EncodeToString(b[:])
	link := ActivationLink{ID: newID(), ResellerID: m.ResellerID, EnrollmentID: m.EnrollmentID, TokenHash: hashToken(d.Token), CreatedAt: now}
	if err := s.ctx(ctx).Create(&link).Error; err != nil {
		return nil, err
	}
	return &d, nil
}

// MarkEmailSent records that the mail server accepted a claimed email at now (R-ACT-1) and
// ends the lease. A server's acceptance is a fact whoever holds the lease now, so the write
// is guarded only by the email still being unsent; a second acceptance changes nothing.
func (s *Store) MarkEmailSent(ctx context.Context, id int64, now time.Time) error {
	now = now.UTC()
	return s.ctx(ctx).Model(&ActivationEmail{}).Where("id = ? AND sent_at IS NULL", id).
		Updates(map[string]any{"sent_at": now, "claimed_until": nil, "claim_id": nil, "last_error": ""}).Error
}

// ReleaseEmail ends the lease of a claim whose send failed: the email is claimed again from
// nextAttempt (the dispatcher's back-off). Only the claim's own lease is released: a
// dispatcher whose lease ran out and was taken over changes nothing. why is kept, cut to
// MaxEmailError characters; it must carry no address, token or link (see mail.Redact).
func (s *Store) ReleaseEmail(ctx context.Context, id, claimID int64, nextAttempt time.Time, why string) error {
	nextAttempt = nextAttempt.UTC()
	if r := []rune(why); len(r) > MaxEmailError {
		why = string(r[:MaxEmailError])
	}
	return s.ctx(ctx).Model(&ActivationEmail{}).Where("id = ? AND claim_id = ? AND sent_at IS NULL", id, claimID).
		Updates(map[string]any{"claimed_until": nil, "claim_id": nil, "next_attempt_at": nextAttempt, "last_error": why}).Error
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
