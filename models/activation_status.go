package models

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// The facts activationStatus explains (R-ACT-12).

// enrollmentLines returns the SKUs subscribed on an enrollment and ACTIVE as of asOf (a
// cancelled or expired subscription is no line: R-SUB-1), with catalog facts and when their
// latest processed licenses stop being pending (R-ORD-5), in one statement (linesSQL).
func (s *Store) enrollmentLines(ctx context.Context, e *Enrollment, asOf time.Time) ([]licensing.ActivationLine, error) {
	rows, err := scanAll[statusRow](s.ctx(ctx).Raw(linesSQL, linesArgs(e)...))
	if err != nil {
		return nil, err
	}
	return s.linesOf(ctx, rows, asOf)
}

// linesSQL reads, as statusRows, an enrollment's subscriptions (kind S) and the latest
// processing of each SKU its processed orders bought (kind L); linesArgs are its arguments.
// statusFacts reads it with the enrollment's other facts.
const linesSQL = `SELECT 'S' AS kind, id, 0 AS account, sku AS text1, CASE WHEN auto_renew THEN 'Y' ELSE 'N' END AS text2, '' AS text3,
			cancelled_at AS at1, grace_from AS at2, grace_until AS at3, end_date AS day
			FROM subscriptions WHERE reseller_id = ? AND enrollment_id = ?
		UNION ALL SELECT 'L', 0, 0, l.sku, '', '', MAX(o.processed_at), NULL, NULL, NULL
			FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE o.reseller_id = ? AND l.reseller_id = ? AND o.enrollment_id = ? AND o.status = ? GROUP BY l.sku`

func linesArgs(e *Enrollment) []any {
	return []any{e.ResellerID, e.ID, e.ResellerID, e.ResellerID, e.ID, licensing.OrderProcessed}
}

// linesOf are the activation lines as of asOf of the rows of kinds S and L among rows
// (linesSQL; rows of other kinds are skipped): the SKUs subscribed and counting as of asOf
// (R-SUB-1), in SKU order, with catalog facts and when the licenses processed latest stop being
// pending (R-ORD-5).
func (s *Store) linesOf(ctx context.Context, rows []statusRow, asOf time.Time) ([]licensing.ActivationLine, error) {
	var codes []string
	latest := map[string]time.Time{}
	for _, r := range rows {
		switch {
		case r.Kind == "S":
			term := licensing.SubscriptionTerm{EndDate: r.Day, AutoRenew: r.Text2 == "Y", CancelledAt: r.At1, GraceFrom: r.At2, GraceUntil: r.At3}
			if term.StatusAt(asOf).Counts() && !slices.Contains(codes, r.Text1) {
				codes = append(codes, r.Text1)
			}
		case r.Kind == "L" && r.At1 != nil:
			latest[r.Text1] = *r.At1
		}
	}
	catalog, err := s.SKUsByCode(ctx, codes)
	if err != nil {
		return nil, err
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

// ActivationStatus explains an enrollment's activation as of asOf from everything stored about
// it (licensing.ActivationStatusAt, R-ACT-12).
func (s *Store) ActivationStatus(ctx context.Context, c Caller, e *Enrollment, asOf time.Time) (licensing.ActivationStatus, error) {
	var f licensing.ActivationFacts
	err := s.aggregate(ctx, func() (err error) {
		f, err = s.activationFacts(ctx, c, e, asOf)
		return err
	})
	if err != nil {
		return licensing.ActivationStatus{}, err
	}
	return licensing.ActivationStatusAt(f, asOf), nil
}

func (s *Store) activationFacts(ctx context.Context, c Caller, e *Enrollment, asOf time.Time) (licensing.ActivationFacts, error) {
	f := licensing.ActivationFacts{OrganizationName: e.OrganizationName, OSMEmail: e.OSMEmail, OriginalPurchase: e.OriginalPurchaseDate,
		AssociatedAt: e.AssociatedAt, AssociationCause: e.AssociationCause, LastActivatedAt: e.LastActivatedAt,
		LinkReenabledUntil: e.LinkReenabledUntil, RenewalNeedsOwnActivation: e.RenewalNeedsActivation}
	var a *Agreement
	agreement := func() (err error) {
		// With its customer, although the status needs only the agreement: read in the shape
		// of a page showing the enrollment's agreement and customer, one statement serves
		// both within a request (memo.go).
		agreements, _, err := s.AgreementsWithCustomers(ctx, c, []int64{e.AgreementID})
		if err == nil && len(agreements) == 0 {
			err = ErrNotFound
		}
		if err == nil {
			a = &agreements[0]
		}
		return err
	}
	// with the facts of the enrollment's account (R-ACT-12)
	facts := func() error { return s.statusFacts(ctx, &f, e, asOf) }
	var err error
	if Held[Agreement](ctx, s, c, []int64{e.AgreementID}) {
		// The request read the agreement already (with the page's enrollment): one round trip
		// to wait for, and no goroutine to start for the other.
		if err = agreement(); err == nil {
			err = facts()
		}
	} else {
		// Independent reads, each filling its own facts, at the same time: a status waits for
		// one round trip, not two.
		err = s.concurrently(agreement, facts)
	}
	if err != nil {
		return f, err
	}
	f.Program = a.Program
	if e.AccountID != nil {
		return f, nil
	}
	return f, s.landingFacts(ctx, &f, a, e)
}

// statusRow is a row of activationFacts' read of an enrollment (statusFacts, linesSQL,
// accountFactsSQL); Kind says what its columns hold: E an activation email, L the latest
// processing of the SKU's processed order lines, O an order, R a reservation, S a subscription;
// of an account: D a verified domain, A an administrator, K a SKU licensed there.
type statusRow struct {
	Kind    string
	ID      int64
	Account int64          // D, A, K: the account
	Text1   string         // O, R: status; E: recipient; L, S, K: SKU; D: domain; A: email
	Text2   string         // E: trigger; S: auto-renew (Y or N); A: role
	Text3   string         // E: last error (the bounce reason)
	At1     *time.Time     // O: processed; R: reserved; E: scheduled; L: processed; S: cancelled
	At2     *time.Time     // E: sent; S: grace from
	At3     *time.Time     // E: bounced; S: grace until
	Day     licensing.Date // O: usage start; S: end date
}

// statusFacts loads, in one statement, what activation needs of an enrollment's activation
// emails, orders, reservations and subscriptions with the latest processing of their SKUs (see
// emailFacts, orderFacts and linesOf), and of the account it is on: its country,
// domains, administrators and the SKUs on it, for compatibility the other enrollments' and not
// its own (R-ACT-2 / R-ACT-12, accountFactsSQL).
func (s *Store) statusFacts(ctx context.Context, f *licensing.ActivationFacts, e *Enrollment, asOf time.Time) error {
	// Each time column's first part names a DATETIME column (the orders' at2 and at3 repeat
	// processed_at, unused): SQLite types a UNION's column by its first part, and a NULL there
	// would leave the emails' instants as text.
	q := `SELECT 'O' AS kind, id, 0 AS account, status AS text1, '' AS text2, '' AS text3,
			processed_at AS at1, processed_at AS at2, processed_at AS at3, usage_start_date AS day
			FROM orders WHERE reseller_id = ? AND enrollment_id = ? AND status <> ?
		UNION ALL SELECT 'R', id, 0, status, '', '', reserved_at, NULL, NULL, NULL FROM reservations WHERE reseller_id = ? AND enrollment_id = ?
		UNION ALL SELECT 'E', id, 0, recipient, email_trigger, last_error, scheduled_at, sent_at, bounced_at, NULL
			FROM activation_emails WHERE reseller_id = ? AND enrollment_id = ?
		UNION ALL ` + linesSQL
	args := append([]any{e.ResellerID, e.ID, licensing.OrderCancelled, e.ResellerID, e.ID, e.ResellerID, e.ID}, linesArgs(e)...)
	if e.AccountID != nil {
		q += "\n\t\tUNION ALL " + accountFactsSQL
		args = append(args, accountFactsArgs(e.ResellerID, []int64{*e.AccountID}, []int64{e.ID})...)
	}
	rows, err := scanAll[statusRow](s.preparedRead(ctx).Raw(q, args...))
	if err != nil {
		return err
	}
	sortFacts(rows)
	byKind := map[string][]statusRow{}
	for _, r := range rows {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	f.Emails = emailFacts(byKind["E"])
	orderFacts(f, e, append(byKind["O"], byKind["R"]...))
	if f.Lines, err = s.linesOf(ctx, rows, asOf); err != nil || e.AccountID == nil {
		return err
	}
	// The account's row through byIDs: a query request that shows the account has read it.
	accounts, err := byIDs[Account](ctx, s, Caller{Role: RoleReseller, ResellerID: e.ResellerID}, []int64{*e.AccountID})
	if err == nil && len(accounts) > 0 {
		f.Account = &accountsWithFacts(accounts, rows)[0]
	}
	return err
}

// sortFacts puts the rows of a UNION of facts in order here rather than by the database (a
// UNION's ORDER BY costs MariaDB a temporary table, about a quarter of such a statement's work):
// by kind, then id (emails, domains and administrators in the order recorded), then text.
func sortFacts(rows []statusRow) {
	slices.SortFunc(rows, func(a, b statusRow) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID), strings.Compare(a.Text1, b.Text1))
	})
}

// emailFacts is what activation needs of an enrollment's activation emails (rows of kind E, in
// id order).
func emailFacts(rows []statusRow) []licensing.ActivationEmail {
	var out []licensing.ActivationEmail
	for _, r := range rows {
		m := licensing.ActivationEmail{Recipient: r.Text1, Trigger: licensing.EmailTrigger(r.Text2), SentAt: r.At2, BouncedAt: r.At3, BounceReason: r.Text3}
		if r.At1 != nil { // scheduled_at is NOT NULL
			m.ScheduledAt = *r.At1
		}
		out = append(out, m)
	}
	return out
}

// orderFacts is what activation needs of an enrollment's orders and reservations (rows of kind O
// and R): whether it has any (a cancelled order is none), its first processing and usage start,
// when its oldest pending reservation is overdue (R-RES-4).
func orderFacts(f *licensing.ActivationFacts, e *Enrollment, rows []statusRow) {
	f.HasOrderOrReservation = len(rows) > 0
	var oldestPending *time.Time
	for _, r := range rows {
		switch {
		case r.Kind == "O" && r.Text1 == string(licensing.OrderProcessed) && r.At1 != nil:
			if f.FirstProcessedAt == nil || r.At1.Before(*f.FirstProcessedAt) {
				f.FirstProcessedAt = r.At1
			}
			if f.UsageStart.IsZero() || r.Day.Before(f.UsageStart) {
				f.UsageStart = r.Day
			}
		case r.Kind == "R" && r.Text1 == string(licensing.ReservationPending) && r.At1 != nil:
			if oldestPending == nil || r.At1.Before(*oldestPending) {
				oldestPending = r.At1
			}
		}
	}
	if oldestPending != nil {
		at := licensing.OverdueAt(*oldestPending)
		f.ReservationOverdueAt = &at
	}
	if f.FirstProcessedAt == nil && e.RenewedFromID != nil {
		// A renewal is created with its lines already licensed: its creation is its first
		// processing, and its term starts the usage (R-SUB-2, R-ACT-10).
		f.HasOrderOrReservation, f.FirstProcessedAt, f.UsageStart = true, &e.CreatedAt, e.StartDate
	}
}

// landingFacts loads, for an enrollment on no account, the accounts it could land on without
// anyone choosing (licensing.ActivationFacts): its agreement's (R-ENR-5), the renewed
// enrollment's (R-ACT-10) and the customer's accounts its OSM may identify (R-ACT-2).
func (s *Store) landingFacts(ctx context.Context, f *licensing.ActivationFacts, a *Agreement, e *Enrollment) error {
	agreementAccount, err := s.agreementAccount(ctx, e)
	if err != nil {
		return err
	}
	bound := licensing.BoundAccount(a.Program, licensing.HasFamily(f.Lines, licensing.FamilyDynamics365), agreementAccount)
	if f.BoundAccount, err = s.oneAccountFacts(ctx, e.ResellerID, bound, e.ID); err != nil {
		return err
	}
	if e.RenewedFromID != nil {
		var old Enrollment
		if err := s.ctx(ctx).Where("reseller_id = ? AND id = ?", e.ResellerID, *e.RenewedFromID).Take(&old).Error; err != nil {
			return err
		}
		f.RenewedFrom = &licensing.RenewedEnrollment{OrganizationName: old.OrganizationName}
		if f.RenewedFrom.Account, err = s.oneAccountFacts(ctx, e.ResellerID, old.AccountID, old.ID, e.ID); err != nil {
			return err
		}
	}
	f.CustomerAccounts, err = s.accountFacts(ctx, e.ResellerID, func(q *gorm.DB) *gorm.DB { return q.Where("customer_id = ?", a.CustomerID) }, e.ID)
	return err
}
