package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
)

// The hand-written detail page: the facts read with database/sql, the decisions (status,
// pending and licensed quantities, activation status) by the same functions of package
// licensing the API calls, so that the comparison measures GraphQL, GORM and the resolvers.

// detailPageQuery is the front-end's enrollment page: the enrollment with its agreement, account,
// activation emails and subscriptions, and why it is or is not activated (R-ACT-12), both as of
// the same instant.
const detailPageQuery = `query Detail($n: String!, $asOf: DateTime) { enrollment(number: $n) { id number organizationName status osm { name email }
  agreement { number program customer { organizationName } } account { name country }
  activationEmails(first: 10) { edges { node { recipient trigger scheduledAt sentAt } } }
  subscriptions(first: 20, asOf: $asOf) { totalCount edges { node { id sku { code } status quantity pendingQuantity licensedQuantity } } } }
  activationStatus(enrollmentNumber: $n, asOf: $asOf) { state reasons { code message action changesAt } } }`

type rawDetail struct {
	db       *sql.DB
	reseller int64
	// catalog is read once per process, as the API does (models.SKUsByCode).
	catalog map[string]licensing.ActivationLine
	// statements counts the statements sent (all go through query).
	statements atomic.Int64
}

// newRawDetail reads the catalog.
func newRawDetail(ctx context.Context, db *sql.DB, reseller int64) (*rawDetail, error) {
	h := &rawDetail{db: db, reseller: reseller, catalog: map[string]licensing.ActivationLine{}}
	rows, err := db.QueryContext(ctx, "SELECT code, family, kind, base_skus, countries, incompatible_skus FROM skus")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l licensing.ActivationLine
		var base, countries, incompatible string
		if err := rows.Scan(&l.SKU, &l.Family, &l.Kind, &base, &countries, &incompatible); err != nil {
			return nil, err
		}
		l.BaseSKUs, l.Countries, l.IncompatibleSKUs = commaList(base), commaList(countries), commaList(incompatible)
		h.catalog[l.SKU] = l
	}
	return h, rows.Err()
}

func commaList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (h *rawDetail) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	h.statements.Add(1)
	return h.db.QueryContext(ctx, q, args...)
}

// The response, field for field in the query's order.
type (
	detailData struct {
		Data struct {
			Enrollment       *detailEnrollment `json:"enrollment"`
			ActivationStatus *detailStatus     `json:"activationStatus"`
		} `json:"data"`
	}
	detailEnrollment struct {
		ID               string `json:"id"`
		Number           string `json:"number"`
		OrganizationName string `json:"organizationName"`
		Status           string `json:"status"`
		Osm              *struct {
			Name  string `json:"name"`
			Email string `json:"email"`
		} `json:"osm"`
		Agreement struct {
			Number   string `json:"number"`
			Program  string `json:"program"`
			Customer struct {
				OrganizationName string `json:"organizationName"`
			} `json:"customer"`
		} `json:"agreement"`
		Account *struct {
			Name    string `json:"name"`
			Country string `json:"country"`
		} `json:"account"`
		ActivationEmails struct {
			Edges []emailEdge `json:"edges"`
		} `json:"activationEmails"`
		Subscriptions struct {
			TotalCount int             `json:"totalCount"`
			Edges      []detailSubEdge `json:"edges"`
		} `json:"subscriptions"`
	}
	emailEdge struct {
		Node struct {
			Recipient   string     `json:"recipient"`
			Trigger     string     `json:"trigger"`
			ScheduledAt time.Time  `json:"scheduledAt"`
			SentAt      *time.Time `json:"sentAt"`
		} `json:"node"`
	}
	detailSubEdge struct {
		Node struct {
			subNode
			PendingQuantity  int `json:"pendingQuantity"`
			LicensedQuantity int `json:"licensedQuantity"`
		} `json:"node"`
	}
	detailStatus struct {
		State   string         `json:"state"`
		Reasons []detailReason `json:"reasons"`
	}
	detailReason struct {
		Code      string     `json:"code"`
		Message   string     `json:"message"`
		Action    string     `json:"action"`
		ChangesAt *time.Time `json:"changesAt"`
	}
)

func (h *rawDetail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Variables struct {
			N    string     `json:"n"`
			AsOf *time.Time `json:"asOf"`
		} `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Variables.N == "" || len(req.Variables.N) > 1000 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	asOf := time.Now().UTC() // the API's default
	if req.Variables.AsOf != nil {
		asOf = req.Variables.AsOf.UTC()
	}
	out, err := h.page(r.Context(), req.Variables.N, asOf)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// detailFacts is what the page reads of one enrollment.
type detailFacts struct {
	id, agreementID, customerID int64
	accountID                   *int64
	renewedFrom                 *struct {
		id        int64
		accountID *int64
		orgName   string
	}
	createdAt time.Time
	start     licensing.Date
	subs      []rawSub
	// latest is when each SKU's latest processed order was processed (R-ORD-5).
	latest map[string]time.Time
	facts  licensing.ActivationFacts
}

// rawSub is a subscription with its changes in the order the API reads them (effective_at, id).
type rawSub struct {
	id        int64
	sku       string
	term      licensing.SubscriptionTerm
	createdAt time.Time
	changes   []rawChange
}

type rawChange struct {
	delta       int
	cause       string
	effectiveAt time.Time
}

// page answers the detail page in five statements for an enrollment on an account (the
// enrollment with its agreement, customer, account and renewed enrollment; its subscriptions
// with their changes; its orders with their lines and its reservations; its activation emails;
// the account's domains, administrators and SKUs), seven for one on none (the agreement's
// holdings and the accounts it could land on).
func (h *rawDetail) page(ctx context.Context, number string, asOf time.Time) (*detailData, error) {
	var out detailData
	e, d, err := h.enrollment(ctx, number)
	if err != nil || e == nil {
		return &out, err
	}
	if err := h.subscriptions(ctx, d, asOf); err != nil {
		return nil, err
	}
	if err := h.ordersAndReservations(ctx, d); err != nil {
		return nil, err
	}
	if err := h.emails(ctx, d, e); err != nil {
		return nil, err
	}
	h.lines(d, asOf)
	if err := h.accounts(ctx, d); err != nil {
		return nil, err
	}
	e.Subscriptions.TotalCount = len(d.subs)
	e.Subscriptions.Edges = []detailSubEdge{}
	for _, s := range d.subs[:min(20, len(d.subs))] {
		e.Subscriptions.Edges = append(e.Subscriptions.Edges, subscriptionAsOf(s, asOf))
	}
	st := licensing.ActivationStatusAt(d.facts, asOf)
	status := &detailStatus{State: string(st.State), Reasons: []detailReason{}}
	for _, r := range st.Reasons {
		status.Reasons = append(status.Reasons, detailReason{Code: string(r.Code), Message: r.Message, Action: string(r.Action), ChangesAt: utc(r.ChangesAt)})
	}
	out.Data.Enrollment, out.Data.ActivationStatus = e, status
	return &out, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

func nullID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

// enrollment reads the enrollment with its agreement, customer, account and the enrollment it
// renews, in one statement; nil when the caller has no such enrollment.
func (h *rawDetail) enrollment(ctx context.Context, number string) (*detailEnrollment, *detailFacts, error) {
	rows, err := h.query(ctx, `SELECT e.id, e.number, e.organization_name, e.status, e.osm_name, e.osm_email, e.start_date, e.created_at,
		e.associated_at, e.association_cause, e.last_activated_at, e.original_purchase_date, e.link_reenabled_until, e.renewal_needs_activation,
		a.id, a.number, a.program, a.customer_id, c.organization_name, ac.id, ac.name, ac.country, o.id, o.account_id, o.organization_name
		FROM enrollments e JOIN agreements a ON a.reseller_id = e.reseller_id AND a.id = e.agreement_id
		JOIN customers c ON c.reseller_id = e.reseller_id AND c.id = a.customer_id
		LEFT JOIN accounts ac ON ac.reseller_id = e.reseller_id AND ac.id = e.account_id
		LEFT JOIN enrollments o ON o.reseller_id = e.reseller_id AND o.id = e.renewed_from_id
		WHERE e.reseller_id = ? AND e.number = ?`, h.reseller, number)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, nil, rows.Err()
	}
	var e detailEnrollment
	var d detailFacts
	f := &d.facts
	var osmName string
	var associated, activated, reenabled mysql.NullTime
	var accountID, oldID, oldAccount sql.NullInt64
	var accountName, accountCountry, oldName sql.NullString
	if err := rows.Scan(&d.id, &e.Number, &e.OrganizationName, &e.Status, &osmName, &f.OSMEmail, &d.start, &d.createdAt,
		&associated, &f.AssociationCause, &activated, &f.OriginalPurchase, &reenabled, &f.RenewalNeedsOwnActivation,
		&d.agreementID, &e.Agreement.Number, &e.Agreement.Program, &d.customerID, &e.Agreement.Customer.OrganizationName,
		&accountID, &accountName, &accountCountry, &oldID, &oldAccount, &oldName); err != nil {
		return nil, nil, err
	}
	e.ID, f.OrganizationName, f.Program = gid("Enrollment", d.id), e.OrganizationName, licensing.Program(e.Agreement.Program)
	f.AssociatedAt, f.LastActivatedAt, f.LinkReenabledUntil = nullTime(associated), nullTime(activated), nullTime(reenabled)
	if f.OSMEmail != "" {
		e.Osm = &struct {
			Name  string `json:"name"`
			Email string `json:"email"`
		}{osmName, f.OSMEmail}
	}
	if d.accountID = nullID(accountID); d.accountID != nil {
		e.Account = &struct {
			Name    string `json:"name"`
			Country string `json:"country"`
		}{accountName.String, accountCountry.String}
		f.Account = &licensing.ActivationAccount{ID: *d.accountID, Name: accountName.String, Country: accountCountry.String}
	}
	if oldID.Valid {
		d.renewedFrom = &struct {
			id        int64
			accountID *int64
			orgName   string
		}{oldID.Int64, nullID(oldAccount), oldName.String}
	}
	return &e, &d, rows.Err()
}

// subscriptions reads the enrollment's subscriptions, by id, with the changes a view as of asOf
// reads (models.viewsAsOf): those effective by then, and a renewal's, recorded ahead of its term.
func (h *rawDetail) subscriptions(ctx context.Context, d *detailFacts, asOf time.Time) error {
	rows, err := h.query(ctx, `SELECT s.id, s.sku, s.end_date, s.auto_renew, s.cancelled_at, s.grace_from, s.grace_until, s.created_at,
		c.delta, c.cause, c.effective_at
		FROM subscriptions s LEFT JOIN subscription_changes c ON c.reseller_id = s.reseller_id AND c.subscription_id = s.id
		AND (c.effective_at <= ? OR c.cause = ?)
		WHERE s.reseller_id = ? AND s.enrollment_id = ? ORDER BY s.id, c.effective_at, c.id`, asOf, models.CauseRenewal, h.reseller, d.id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s rawSub
		var cancelled, graceFrom, graceUntil, effective mysql.NullTime
		var delta sql.NullInt64
		var cause sql.NullString
		if err := rows.Scan(&s.id, &s.sku, &s.term.EndDate, &s.term.AutoRenew, &cancelled, &graceFrom, &graceUntil, &s.createdAt,
			&delta, &cause, &effective); err != nil {
			return err
		}
		if n := len(d.subs); n == 0 || d.subs[n-1].id != s.id {
			s.term.CancelledAt, s.term.GraceFrom, s.term.GraceUntil = nullTime(cancelled), nullTime(graceFrom), nullTime(graceUntil)
			d.subs = append(d.subs, s)
		}
		if delta.Valid {
			last := &d.subs[len(d.subs)-1]
			last.changes = append(last.changes, rawChange{delta: int(delta.Int64), cause: cause.String, effectiveAt: effective.Time.UTC()})
		}
	}
	return rows.Err()
}

// subscriptionAsOf is the subscription's status and quantities as of asOf, from the facts
// models.viewsAsOf gives the rules: the total effective by then, the additions of the pending
// period and a renewal's lines ahead of their term once the subscription exists.
func subscriptionAsOf(s rawSub, asOf time.Time) detailSubEdge {
	total := 0
	var recent, ahead []licensing.QuantityChange
	since := asOf.Add(-licensing.OrderPendingPeriod)
	for _, ch := range s.changes {
		switch {
		case ch.effectiveAt.After(asOf):
			if !asOf.Before(s.createdAt) {
				total += ch.delta
				ahead = append(ahead, licensing.QuantityChange{Delta: ch.delta, EffectiveAt: ch.effectiveAt})
			}
		default:
			total += ch.delta
			if ch.delta > 0 && ch.effectiveAt.After(since) {
				recent = append(recent, licensing.QuantityChange{Delta: ch.delta, EffectiveAt: ch.effectiveAt, FromOrder: ch.cause == models.CauseOrder})
			}
		}
	}
	held := licensing.HeldSubscription{ID: s.id, Quantity: total, Term: s.term, Changes: append(recent, ahead...)}
	status := s.term.StatusAt(asOf)
	var out detailSubEdge
	n := &out.Node
	n.ID, n.Sku.Code, n.Status, n.Quantity, n.PendingQuantity = gid("Subscription", s.id), s.sku, string(status), total, held.PendingAt(asOf)
	n.LicensedQuantity = licensing.LicensedPart(status, total, n.PendingQuantity)
	return out
}

// ordersAndReservations reads the enrollment's orders that are not cancelled, with their lines,
// and its reservations, in one statement: the facts models.statusFacts takes from them.
func (h *rawDetail) ordersAndReservations(ctx context.Context, d *detailFacts) error {
	rows, err := h.query(ctx, `SELECT 'O', o.status, o.processed_at, o.usage_start_date, l.sku
		FROM orders o LEFT JOIN order_lines l ON l.reseller_id = o.reseller_id AND l.order_id = o.id
		WHERE o.reseller_id = ? AND o.enrollment_id = ? AND o.status <> ?
		UNION ALL SELECT 'R', r.status, r.reserved_at, NULL, NULL FROM reservations r WHERE r.reseller_id = ? AND r.enrollment_id = ?`,
		h.reseller, d.id, licensing.OrderCancelled, h.reseller, d.id)
	if err != nil {
		return err
	}
	defer rows.Close()
	f := &d.facts
	d.latest = map[string]time.Time{}
	var reservedAt *time.Time // the oldest pending reservation's
	for rows.Next() {
		var kind, status string
		var at mysql.NullTime
		var usage licensing.Date
		var sku sql.NullString
		if err := rows.Scan(&kind, &status, &at, &usage, &sku); err != nil {
			return err
		}
		f.HasOrderOrReservation = true
		switch {
		case kind == "R" && status == string(licensing.ReservationPending):
			if reservedAt == nil || at.Time.Before(*reservedAt) {
				reservedAt = nullTime(at)
			}
		case kind == "O" && status == string(licensing.OrderProcessed) && at.Valid:
			processed := at.Time.UTC()
			if f.FirstProcessedAt == nil || processed.Before(*f.FirstProcessedAt) {
				f.FirstProcessedAt = &processed
			}
			if f.UsageStart.IsZero() || usage.Before(f.UsageStart) {
				f.UsageStart = usage
			}
			if sku.Valid && processed.After(d.latest[sku.String]) {
				d.latest[sku.String] = processed
			}
		}
	}
	if f.FirstProcessedAt == nil && d.renewedFrom != nil {
		// As models.activationFacts: a renewal's creation is its first processing (R-SUB-2, R-ACT-10).
		created := d.createdAt.UTC()
		f.HasOrderOrReservation, f.FirstProcessedAt, f.UsageStart = true, &created, d.start
	}
	if reservedAt != nil {
		overdue := licensing.OverdueAt(*reservedAt)
		f.ReservationOverdueAt = &overdue
	}
	return rows.Err()
}

// emails reads every activation email of the enrollment: the facts, and the page's first ten.
func (h *rawDetail) emails(ctx context.Context, d *detailFacts, e *detailEnrollment) error {
	rows, err := h.query(ctx, `SELECT recipient, email_trigger, scheduled_at, sent_at, bounced_at, last_error
		FROM activation_emails WHERE reseller_id = ? AND enrollment_id = ? ORDER BY id`, h.reseller, d.id)
	if err != nil {
		return err
	}
	defer rows.Close()
	e.ActivationEmails.Edges = []emailEdge{}
	for rows.Next() {
		var m licensing.ActivationEmail
		var sent, bounced mysql.NullTime
		if err := rows.Scan(&m.Recipient, &m.Trigger, &m.ScheduledAt, &sent, &bounced, &m.BounceReason); err != nil {
			return err
		}
		m.ScheduledAt, m.SentAt, m.BouncedAt = m.ScheduledAt.UTC(), nullTime(sent), nullTime(bounced)
		d.facts.Emails = append(d.facts.Emails, m)
		if len(e.ActivationEmails.Edges) < 10 {
			var edge emailEdge
			edge.Node.Recipient, edge.Node.Trigger, edge.Node.ScheduledAt, edge.Node.SentAt = m.Recipient, string(m.Trigger), m.ScheduledAt, m.SentAt
			e.ActivationEmails.Edges = append(e.ActivationEmails.Edges, edge)
		}
	}
	return rows.Err()
}

// lines are the SKUs subscribed and ACTIVE as of asOf, with their catalog facts and when their
// latest processed licenses stop being pending (as models.linesOf).
func (h *rawDetail) lines(d *detailFacts, asOf time.Time) {
	for _, s := range d.subs {
		k, ok := h.catalog[s.sku]
		if !ok || !s.term.StatusAt(asOf).Counts() {
			continue
		}
		if at, ok := d.latest[s.sku]; ok {
			until := licensing.PendingUntil(at)
			k.PendingUntil = &until
		}
		d.facts.Lines = append(d.facts.Lines, k)
	}
	slices.SortFunc(d.facts.Lines, func(a, b licensing.ActivationLine) int { return strings.Compare(a.SKU, b.SKU) })
}

// accounts reads the accounts the activation status looks at: the enrollment's own, or, while
// it is on none, those it could land on (models.landingFacts).
func (h *rawDetail) accounts(ctx context.Context, d *detailFacts) error {
	f := &d.facts
	if d.accountID != nil {
		if f.Account == nil {
			return nil
		}
		facts, _, err := h.accountFacts(ctx, d, []licensing.ActivationAccount{*f.Account})
		if err == nil {
			f.Account = &facts[0]
		}
		return err
	}
	if d.renewedFrom != nil {
		f.RenewedFrom = &licensing.RenewedEnrollment{OrganizationName: d.renewedFrom.orgName}
	}
	bound, err := h.boundAccount(ctx, d)
	if err != nil {
		return err
	}
	var old int64
	if d.renewedFrom != nil && d.renewedFrom.accountID != nil {
		old = *d.renewedFrom.accountID
	}
	accounts, ofCustomer, err := h.landingAccounts(ctx, d, bound, old)
	if err != nil || len(accounts) == 0 {
		return err
	}
	all, withoutRenewed, err := h.accountFacts(ctx, d, accounts)
	if err != nil {
		return err
	}
	for i, a := range all {
		if bound != nil && a.ID == *bound {
			f.BoundAccount = &all[i]
		}
		if a.ID == old && f.RenewedFrom != nil {
			r := a
			r.SKUs = withoutRenewed[a.ID]
			f.RenewedFrom.Account = &r
		}
		if ofCustomer[i] {
			f.CustomerAccounts = append(f.CustomerAccounts, a)
		}
	}
	return nil
}

// boundAccount is the account the enrollment must land on (licensing.BoundAccount), from the
// families the agreement's other enrollments hold on their accounts (as models.agreementAccount).
func (h *rawDetail) boundAccount(ctx context.Context, d *detailFacts) (*int64, error) {
	rows, err := h.query(ctx, `SELECT DISTINCT e.id, e.account_id, k.family
		FROM enrollments e JOIN subscriptions su ON su.enrollment_id = e.id JOIN skus k ON k.code = su.sku
		WHERE e.reseller_id = ? AND su.reseller_id = ? AND e.agreement_id = ? AND e.id <> ? AND e.account_id IS NOT NULL`,
		h.reseller, h.reseller, d.agreementID, d.id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var holdings []licensing.AgreementHolding
	for rows.Next() {
		var x licensing.AgreementHolding
		if err := rows.Scan(&x.EnrollmentID, &x.AccountID, &x.Family); err != nil {
			return nil, err
		}
		holdings = append(holdings, x)
	}
	f := &d.facts
	return licensing.BoundAccount(f.Program, licensing.HasFamily(f.Lines, licensing.FamilyDynamics365), licensing.AgreementAccount(holdings)), rows.Err()
}

// landingAccounts reads, by id, the customer's accounts and the bound and renewed enrollment's
// ones, and which are the customer's.
func (h *rawDetail) landingAccounts(ctx context.Context, d *detailFacts, bound *int64, old int64) ([]licensing.ActivationAccount, []bool, error) {
	ids := []string{strconv.FormatInt(old, 10)}
	if bound != nil {
		ids = append(ids, strconv.FormatInt(*bound, 10))
	}
	rows, err := h.query(ctx, `SELECT id, name, country, customer_id = ? FROM accounts WHERE reseller_id = ? AND (customer_id = ? OR id IN (`+
		strings.Join(ids, ",")+`)) ORDER BY id`, d.customerID, h.reseller, d.customerID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []licensing.ActivationAccount
	var ofCustomer []bool
	for rows.Next() {
		var a licensing.ActivationAccount
		var mine bool
		if err := rows.Scan(&a.ID, &a.Name, &a.Country, &mine); err != nil {
			return nil, nil, err
		}
		out, ofCustomer = append(out, a), append(ofCustomer, mine)
	}
	return out, ofCustomer, rows.Err()
}

// accountFacts adds to accounts their verified domains, administrators and SKUs, those of this
// enrollment left out (as models.accountFacts), in one statement; withoutRenewed are the SKUs
// without those of the enrollment it renews too.
func (h *rawDetail) accountFacts(ctx context.Context, d *detailFacts, accounts []licensing.ActivationAccount) ([]licensing.ActivationAccount, map[int64][]string, error) {
	var ids []string
	index := map[int64]int{}
	for i, a := range accounts {
		ids, index[a.ID] = append(ids, strconv.FormatInt(a.ID, 10)), i
	}
	in := strings.Join(ids, ",")
	var old int64
	if d.renewedFrom != nil {
		old = d.renewedFrom.id
	}
	rows, err := h.query(ctx, `SELECT 'D', account_id, domain, '', FALSE FROM account_domains WHERE reseller_id = ? AND account_id IN (`+in+`)
		UNION ALL SELECT 'A', account_id, email, role, FALSE FROM account_admins WHERE reseller_id = ? AND account_id IN (`+in+`)
		UNION ALL SELECT DISTINCT 'S', e.account_id, su.sku, '', e.id = ? FROM subscriptions su JOIN enrollments e ON e.id = su.enrollment_id
		WHERE su.reseller_id = ? AND e.reseller_id = ? AND e.account_id IN (`+in+`) AND e.id <> ?
		UNION ALL SELECT DISTINCT 'S', direct_account_id, sku, '', FALSE FROM subscriptions WHERE reseller_id = ? AND direct_account_id IN (`+in+`)`,
		h.reseller, h.reseller, old, h.reseller, h.reseller, d.id, h.reseller)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	withoutRenewed := map[int64][]string{}
	for rows.Next() {
		var kind, value, role string
		var account int64
		var ofRenewed bool
		if err := rows.Scan(&kind, &account, &value, &role, &ofRenewed); err != nil {
			return nil, nil, err
		}
		a := &accounts[index[account]]
		switch {
		case kind == "D":
			a.VerifiedDomains = append(a.VerifiedDomains, value)
		case kind == "A":
			a.Admins = append(a.Admins, licensing.AccountAdmin{Email: value, Role: licensing.AdminRole(role)})
		default:
			if !slices.Contains(a.SKUs, value) {
				a.SKUs = append(a.SKUs, value)
			}
			if !ofRenewed && !slices.Contains(withoutRenewed[account], value) {
				withoutRenewed[account] = append(withoutRenewed[account], value)
			}
		}
	}
	return accounts, withoutRenewed, rows.Err()
}

// samples are the numbers of a few enrollments that take other paths than the first one, for
// checking that both sides answer the same: the first on no account, renewing another, with
// orders, with a reservation, with activation emails (those the database has).
func (h *rawDetail) samples(ctx context.Context) ([]string, error) {
	rows, err := h.db.QueryContext(ctx, `(SELECT number FROM enrollments WHERE reseller_id = ? AND account_id IS NULL ORDER BY id LIMIT 1)
		UNION (SELECT number FROM enrollments WHERE reseller_id = ? AND renewed_from_id IS NOT NULL ORDER BY id LIMIT 1)
		UNION (SELECT e.number FROM enrollments e JOIN orders o ON o.reseller_id = e.reseller_id AND o.enrollment_id = e.id WHERE e.reseller_id = ? ORDER BY o.id LIMIT 1)
		UNION (SELECT e.number FROM enrollments e JOIN reservations r ON r.reseller_id = e.reseller_id AND r.enrollment_id = e.id WHERE e.reseller_id = ? ORDER BY r.id LIMIT 1)
		UNION (SELECT e.number FROM enrollments e JOIN activation_emails m ON m.reseller_id = e.reseller_id AND m.enrollment_id = e.id WHERE e.reseller_id = ? ORDER BY m.id LIMIT 1)`,
		h.reseller, h.reseller, h.reseller, h.reseller, h.reseller)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
