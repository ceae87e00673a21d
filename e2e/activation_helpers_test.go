package e2e

// Helpers of the activation e2e tests (activation_test.go): documents, order and activation
// steps, the mail dispatcher with a capturing sender, and exact checks of activationStatus.
// Everything is prefixed act: the e2e package is shared with other files.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/mail"
)

// actT0 is the clock newEnv starts with (2026-11-23 09:00 UTC).
var actT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// actSubject is the subject of every activation email (R-ACT-1).
const actSubject = "Sign in or sign up to start using your new subscription"

const (
	actUE       = `userErrors { field code message }`
	actEmailSel = `recipient subject trigger scheduledAt dueBy sentAt`
	actEnrSel   = `id number status organizationName osm { name email } account { id name } associationCause associatedAt
		originalPurchaseDate activationLinkExpiresAt activationEmails(first: 100) { edges { node { ` + actEmailSel + ` } } } renewedFrom { number }`
	actKeySel   = `key sku { code } quantity redeemedAt redeemedAccount { id }`
	actOrderSel = `id number status processedAt availableAt productKeys { ` + actKeySel + ` }`
	actSubSel   = `id sku { code } status quantity pendingQuantity licensedQuantity graceUntil enrollment { number }`

	actCreateAgreementDoc  = `mutation($in: CreateAgreementInput!) { createAgreement(input: $in) { agreement { id } ` + actUE + ` } }`
	actCreateEnrollmentDoc = `mutation($in: CreateEnrollmentInput!) { createEnrollment(input: $in) { enrollment { id number } ` + actUE + ` } }`
	actCreateAccountDoc    = `mutation($in: CreateAccountInput!) { createAccount(input: $in) { account { id } ` + actUE + ` } }`
	actCreateOrderDoc      = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id number } ` + actUE + ` } }`
	actProcessOrderDoc     = `mutation($id: ID!) { processOrder(input: {orderId: $id}) { order { ` + actOrderSel + ` } ` + actUE + ` } }`
	actOrderDoc            = `query($n: String!) { order(number: $n) { ` + actOrderSel + ` } }`
	actEnrollmentDoc       = `query($n: String!) { enrollment(number: $n) { ` + actEnrSel + ` } }`
	actEnrSubsDoc          = `query($n: String!, $at: DateTime) { enrollment(number: $n) { subscriptions(asOf: $at, first: 100) { totalCount edges { node { ` + actSubSel + ` } } } } }`
	actAccountDoc          = `query($id: ID!, $at: DateTime) { node(id: $id) { ... on Account { id name country verifiedDomains
		administrators { name email role } customer { id } users(first: 100) { totalCount edges { node { userName } } }
		enrollments(first: 100) { totalCount edges { node { number } } }
		subscriptions(asOf: $at, first: 100) { totalCount edges { node { ` + actSubSel + ` } } } } } }`
	actCustomerAccountsDoc = `query($id: ID!) { node(id: $id) { ... on Customer { accounts(first: 100) { totalCount } } } }`
	actAgreementSeatsDoc   = `query($n: String!, $at: DateTime) { agreement(number: $n) { activeSeats(asOf: $at) } }`
	actStatusDoc           = `query($n: String!, $at: DateTime) { activationStatus(enrollmentNumber: $n, asOf: $at) { asOf state enrollment { number } reasons { code message action changesAt } } }`
	actStatusNowDoc        = `query($n: String!) { activationStatus(enrollmentNumber: $n) { asOf state enrollment { number } reasons { code message action changesAt } } }`

	actActivateDoc = `mutation($in: ActivateEnrollmentInput!) { activateEnrollment(input: $in) { enrollment { ` + actEnrSel + ` } ` + actUE + ` } }`
	actContactDoc  = `mutation($in: UpdateSubscriptionContactInput!) { updateSubscriptionContact(input: $in) { enrollment { ` + actEnrSel + ` }
		email { ` + actEmailSel + ` } emailNotSentReason ` + actUE + ` } }`
	actResendDoc   = `mutation($n: String!) { resendActivationEmail(input: {enrollmentNumber: $n}) { email { ` + actEmailSel + ` } ` + actUE + ` } }`
	actReenableDoc = `mutation($n: String!, $u: DateTime!) { reenableActivationLink(input: {enrollmentNumber: $n, validUntil: $u}) { enrollment { ` + actEnrSel + ` } ` + actUE + ` } }`
	actRemapDoc    = `mutation($n: String!, $a: ID!) { remapEnrollment(input: {enrollmentNumber: $n, accountId: $a}) { enrollment { ` + actEnrSel + ` } ` + actUE + ` } }`
	actRedeemDoc   = `mutation($k: String!, $a: ID!) { redeemProductKey(input: {productKey: $k, accountId: $a}) { productKey { ` + actKeySel + ` } ` + actUE + ` } }`
	actRenewDoc    = `mutation($in: RenewEnrollmentInput!) { renewEnrollment(input: $in) { oldEnrollment { ` + actEnrSel + ` } newEnrollment { ` + actEnrSel + ` }
		graceUntil carriedSkus reassignSkus ` + actUE + ` } }`
	actReserveDoc    = `mutation($in: CreateReservationInput!) { createReservation(input: $in) { reservation { id status overdueAt } ` + actUE + ` } }`
	actProcessResDoc = `mutation($id: ID!) { processReservation(input: {reservationId: $id}) { reservation { id status } ` + actUE + ` } }`
	actDirectDoc     = `mutation($in: CreateDirectSubscriptionInput!) { createDirectSubscription(input: $in) { subscription { id sku { code } status } ` + actUE + ` } }`
	actCancelSubDoc  = `mutation($id: ID!) { cancelSubscription(input: {subscriptionId: $id}) { subscription { id status cancelledAt } ` + actUE + ` } }`
)

// actCase runs fn as the subtest name (a rule ID first) on every engine, each with a fresh env.
func actCase(t *testing.T, name string, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Run(name, func(t *testing.T) { each(t, fn) })
}

// actAt formats an instant as the API writes DateTime values (whole seconds here).
func actAt(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func actIn(in map[string]any) map[string]any { return map[string]any{"in": in} }

// actLines builds order lines from sku, quantity pairs.
func actLines(pairs ...any) []any {
	out := []any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, map[string]any{"sku": pairs[i], "quantity": pairs[i+1]})
	}
	return out
}

// actWorld is newWorld with the reseller name fixed: numbers are per reseller, and every test
// has a fresh database.
func (e *env) actWorld(program, agreementNumber, enrollmentNumber string) world {
	e.t.Helper()
	return e.newWorld("Fabrikam reseller", program, agreementNumber, enrollmentNumber)
}

// actAgreement creates another agreement for a customer.
func (e *env) actAgreement(key, customerID, program, number string) string {
	e.t.Helper()
	p := e.mutate(key, actCreateAgreementDoc, actIn(map[string]any{"customerId": customerID, "program": program, "number": number,
		"startDate": "2026-01-01", "anniversaryDate": "2027-01-01", "contacts": []any{
			map[string]any{"name": "Ana", "email": "ana@fabrikam.com", "roles": []any{"AGREEMENT_ADMINISTRATOR"}},
			map[string]any{"name": "Vic", "email": "vic@fabrikam.com", "roles": []any{"VLSC_ADMINISTRATOR"}}}}))
	return str(p, "agreement", "id")
}

// actEnroll creates an enrollment (term 2026-01-01..2028-12-31) with an OSM email ("" for none).
func (e *env) actEnroll(key, agreementID, number, org, osmEmail string) string {
	e.t.Helper()
	in := map[string]any{"agreementId": agreementID, "number": number, "organizationName": org, "osmName": "", "osmEmail": osmEmail,
		"startDate": "2026-01-01", "endDate": "2028-12-31"}
	if osmEmail != "" {
		in["osmName"] = "OSM of " + number
	}
	p := e.mutate(key, actCreateEnrollmentDoc, actIn(in))
	return str(p, "enrollment", "id")
}

// actAdmin is an AccountAdministratorInput.
func actAdmin(name, email, role string) map[string]any {
	return map[string]any{"name": name, "email": email, "role": role}
}

// actAccount creates an account for a customer and returns its id.
func (e *env) actAccount(key, customerID, name, country string, domains []string, admins ...map[string]any) string {
	e.t.Helper()
	ds := []any{}
	for _, d := range domains {
		ds = append(ds, d)
	}
	as := []any{}
	for _, a := range admins {
		as = append(as, a)
	}
	p := e.mutate(key, actCreateAccountDoc, actIn(map[string]any{"customerId": customerID, "name": name, "country": country,
		"verifiedDomains": ds, "administrators": as}))
	return str(p, "account", "id")
}

// actPlace places an order and returns its id.
func (e *env) actPlace(key, enrollment, idem, purchase, usage string, pairs ...any) string {
	e.t.Helper()
	p := e.mutate(key, actCreateOrderDoc, actIn(map[string]any{"enrollmentNumber": enrollment, "lines": actLines(pairs...),
		"purchaseDate": purchase, "usageStartDate": usage, "idempotencyKey": idem}))
	id := str(p, "order", "id")
	if id == "" {
		e.t.Fatalf("createOrder returned no order: %v", p)
	}
	return id
}

// actProcess processes an order with the operator key, at the server clock; it returns the order.
func (e *env) actProcess(orderID string) map[string]any {
	e.t.Helper()
	p := e.mutate(e.Operator, actProcessOrderDoc, map[string]any{"id": orderID})
	o, _ := p["order"].(map[string]any)
	if str(o, "status") != "PROCESSED" {
		e.t.Fatalf("order not processed: %v", p)
	}
	return o
}

// actBuy places and processes an order (purchase and usage start dates given).
func (e *env) actBuy(key, enrollment, idem, purchase, usage string, pairs ...any) map[string]any {
	e.t.Helper()
	return e.actProcess(e.actPlace(key, enrollment, idem, purchase, usage, pairs...))
}

// actBuyToday buys on the server clock's day (purchase = usage start = today, actT0's day).
func (e *env) actBuyToday(key, enrollment, idem string, pairs ...any) map[string]any {
	e.t.Helper()
	day := e.clock.Load().UTC().Format("2006-01-02")
	return e.actBuy(key, enrollment, idem, day, day, pairs...)
}

// actEnr reads an enrollment by number.
func (e *env) actEnr(key, number string) map[string]any {
	e.t.Helper()
	enr, _ := e.ok(key, actEnrollmentDoc, map[string]any{"n": number})["enrollment"].(map[string]any)
	if enr == nil {
		e.t.Fatalf("no enrollment %s", number)
	}
	return enr
}

// actEmails returns an enrollment's activation emails.
func actEmails(enr map[string]any) []map[string]any {
	l, _ := get(enr, "activationEmails", "edges").([]any)
	out := make([]map[string]any, len(l))
	for i, v := range l {
		out[i], _ = get(v, "node").(map[string]any)
	}
	return out
}

// actWantEmail checks one activation email exactly (sentAt "" means null); the subject is
// always the R-ACT-1 subject.
func actWantEmail(t testing.TB, m map[string]any, recipient, trigger, scheduledAt, dueBy, sentAt string) {
	t.Helper()
	got := map[string]any{"recipient": m["recipient"], "subject": m["subject"], "trigger": m["trigger"],
		"scheduledAt": m["scheduledAt"], "dueBy": m["dueBy"], "sentAt": m["sentAt"]}
	want := map[string]any{"recipient": recipient, "subject": actSubject, "trigger": trigger, "scheduledAt": scheduledAt, "dueBy": dueBy, "sentAt": nil}
	if sentAt != "" {
		want["sentAt"] = sentAt
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("activation email:\n got %v\nwant %v", got, want)
	}
}

// actWantEmailCount checks the number of activation emails recorded on an enrollment.
func (e *env) actWantEmailCount(t testing.TB, key, number string, n int) []map[string]any {
	t.Helper()
	ems := actEmails(e.actEnr(key, number))
	if len(ems) != n {
		t.Fatalf("%s: want %d activation emails, got %d: %v", number, n, len(ems), ems)
	}
	return ems
}

// actWantAssociation checks an enrollment's account and cause ("" account: on none).
func actWantAssociation(t testing.TB, enr map[string]any, accountID, cause, associatedAt string) {
	t.Helper()
	if accountID == "" {
		if enr["account"] != nil || enr["associationCause"] != nil || enr["associatedAt"] != nil {
			t.Errorf("%s: want no account, got account=%v cause=%v at=%v", str(enr, "number"), enr["account"], enr["associationCause"], enr["associatedAt"])
		}
		return
	}
	got := []any{str(enr, "account", "id"), enr["associationCause"], enr["associatedAt"]}
	want := []any{accountID, cause, associatedAt}
	if associatedAt == "" {
		got = got[:2]
		want = want[:2]
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s association: got %v, want %v", str(enr, "number"), got, want)
	}
}

// ---- activationStatus ----

type actReason struct {
	Code      string  `json:"code"`
	Message   string  `json:"message"`
	Action    string  `json:"action"`
	ChangesAt *string `json:"changesAt"`
}

type actStatusResult struct {
	AsOf       string                  `json:"asOf"`
	State      string                  `json:"state"`
	Enrollment struct{ Number string } `json:"enrollment"`
	Reasons    []actReason             `json:"reasons"`
}

// actR is an expected reason: code, action and changesAt ("" means null).
type actR struct{ code, action, changesAt string }

func (r actR) String() string {
	c := r.changesAt
	if c == "" {
		c = "null"
	}
	return r.code + "/" + r.action + "/" + c
}

func actStatusFrom(t testing.TB, data map[string]any) actStatusResult {
	t.Helper()
	raw, _ := json.Marshal(data["activationStatus"])
	var st actStatusResult
	if err := json.Unmarshal(raw, &st); err != nil || st.State == "" {
		t.Fatalf("no activationStatus in %s", raw)
	}
	return st
}

// actStatus evaluates activationStatus as of at.
func (e *env) actStatus(key, number string, at time.Time) actStatusResult {
	e.t.Helper()
	st := actStatusFrom(e.t, e.ok(key, actStatusDoc, map[string]any{"n": number, "at": actAt(at)}))
	if st.AsOf != actAt(at) || !strings.EqualFold(st.Enrollment.Number, number) {
		e.t.Errorf("activationStatus echoes asOf %q / enrollment %q, want %q / %q", st.AsOf, st.Enrollment.Number, actAt(at), number)
	}
	return st
}

// actWant checks the state and the exact list of reasons (in order); every reason must carry a
// message. Not fatal: the test goes on to check what follows.
func actWant(t testing.TB, st actStatusResult, state string, want ...actR) {
	t.Helper()
	var got []actR
	for _, r := range st.Reasons {
		c := ""
		if r.ChangesAt != nil {
			c = *r.ChangesAt
		}
		got = append(got, actR{r.Code, r.Action, c})
		if strings.TrimSpace(r.Message) == "" {
			t.Errorf("reason %s has no message", r.Code)
		}
	}
	if st.State != state || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("activationStatus(%s, asOf %s):\n got %s %v\nwant %s %v\nmessages: %v", st.Enrollment.Number, st.AsOf, st.State, got, state, want, actMessages(st))
	}
}

// actWantAt evaluates the status as of at and checks it exactly.
func (e *env) actWantAt(t testing.TB, key, number string, at time.Time, state string, want ...actR) actStatusResult {
	t.Helper()
	st := e.actStatus(key, number, at)
	actWant(t, st, state, want...)
	return st
}

func actMessages(st actStatusResult) []string {
	var out []string
	for _, r := range st.Reasons {
		out = append(out, r.Code+": "+r.Message)
	}
	return out
}

// actReasonOf returns the first reason with the code, or nil.
func actReasonOf(st actStatusResult, code string) *actReason {
	for i := range st.Reasons {
		if st.Reasons[i].Code == code {
			return &st.Reasons[i]
		}
	}
	return nil
}

// ---- mail ----

// actOutbox captures what the dispatcher sends.
type actOutbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (o *actOutbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

// actDispatch runs the mail dispatcher once with its clock at `at` and returns the messages it sent.
func (e *env) actDispatch(t testing.TB, at time.Time) []mail.Message {
	t.Helper()
	box := &actOutbox{}
	d := &mail.Dispatcher{Store: e.Store, Sender: box, BaseURL: "http://x/activate", Now: func() time.Time { return at },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	n, err := d.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("dispatcher: %v", err)
	}
	if n != len(box.sent) {
		t.Fatalf("dispatcher says %d sent, sender got %d", n, len(box.sent))
	}
	for _, m := range box.sent {
		if m.Subject != actSubject {
			t.Errorf("message subject %q, want %q", m.Subject, actSubject)
		}
	}
	return box.sent
}

// actToken extracts the activation token of a message's link.
func actToken(t testing.TB, m mail.Message) string {
	t.Helper()
	u, err := url.Parse(m.Link)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != "http://x/activate" {
		t.Fatalf("link %q is not on the activation page", m.Link)
	}
	tok := u.Query().Get("token")
	if tok == "" {
		t.Fatalf("link %q carries no token", m.Link)
	}
	return tok
}

// actTokenFor returns the token of the one message sent for an enrollment.
func actTokenFor(t testing.TB, msgs []mail.Message, number string) string {
	t.Helper()
	var found []mail.Message
	for _, m := range msgs {
		if strings.EqualFold(m.EnrollmentNumber, number) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one message for %s, got %d of %v", number, len(found), msgs)
	}
	return actToken(t, found[0])
}

// actRecipients lists the recipients of messages, sorted.
func actRecipients(msgs []mail.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, m.To)
	}
	sort.Strings(out)
	return out
}

// actSendToken dispatches at `at` and returns the token of the one email of the enrollment.
func (e *env) actSendToken(t testing.TB, number string, at time.Time) string {
	t.Helper()
	return actTokenFor(t, e.actDispatch(t, at), number)
}

// ---- activation mutations ----

func actActivateVars(token, accountID string, newAccount map[string]any) map[string]any {
	in := map[string]any{"token": token}
	if accountID != "" {
		in["accountId"] = accountID
	}
	if newAccount != nil {
		in["newAccount"] = newAccount
	}
	return actIn(in)
}

// actActivate activates with a token onto an existing account (must succeed); returns the enrollment.
func (e *env) actActivate(key, token, accountID string) map[string]any {
	e.t.Helper()
	p := e.mutate(key, actActivateDoc, actActivateVars(token, accountID, nil))
	return p["enrollment"].(map[string]any)
}

// actActivateNew activates with a token onto a new account (must succeed).
func (e *env) actActivateNew(key, token string, newAccount map[string]any) map[string]any {
	e.t.Helper()
	p := e.mutate(key, actActivateDoc, actActivateVars(token, "", newAccount))
	return p["enrollment"].(map[string]any)
}

// actRefusedPayload runs a mutation that must be refused with a null object (objField); it
// returns the userErrors.
func (e *env) actRefusedPayload(t testing.TB, key, doc string, vars map[string]any, objField string) []userError {
	t.Helper()
	data := e.ok(key, doc, vars)
	for name, v := range data {
		payload, _ := v.(map[string]any)
		if payload[objField] != nil {
			t.Errorf("%s: a refused payload must carry no %s, got %v", name, objField, payload[objField])
		}
		raw, _ := json.Marshal(payload["userErrors"])
		var ue []userError
		_ = json.Unmarshal(raw, &ue)
		if len(ue) == 0 {
			t.Fatalf("%s: expected userErrors, got %v", name, payload)
		}
		return ue
	}
	t.Fatalf("no payload in %v", data)
	return nil
}

// actOnly asserts exactly one userError with the code and field path (dot-joined).
func actOnly(t testing.TB, ue []userError, code, field string) {
	t.Helper()
	if len(ue) != 1 || ue[0].Code != code || strings.Join(ue[0].Field, ".") != field || strings.TrimSpace(ue[0].Message) == "" {
		t.Errorf("want exactly one userError %s on %q with a message, got %+v", code, field, ue)
	}
}

// actRefuseActivation activates with a token and expects exactly one refusal.
func (e *env) actRefuseActivation(t testing.TB, key, token, accountID string, newAccount map[string]any, code, field string) {
	t.Helper()
	actOnly(t, e.actRefusedPayload(t, key, actActivateDoc, actActivateVars(token, accountID, newAccount), "enrollment"), code, field)
}

// actNewAccount is a NewAccountInput.
func actNewAccount(name, country string, domains []string, admins ...map[string]any) map[string]any {
	ds := []any{}
	for _, d := range domains {
		ds = append(ds, d)
	}
	as := []any{}
	for _, a := range admins {
		as = append(as, a)
	}
	return map[string]any{"name": name, "country": country, "verifiedDomains": ds, "administrators": as}
}

// actContact updates the subscription contact (must not be refused); returns the payload.
func (e *env) actContact(key, number, name, email string) map[string]any {
	e.t.Helper()
	return e.mutate(key, actContactDoc, actIn(map[string]any{"enrollmentNumber": number, "osmName": name, "osmEmail": email}))
}

// actResend asks for a resend (must succeed); returns the email.
func (e *env) actResend(key, number string) map[string]any {
	e.t.Helper()
	p := e.mutate(key, actResendDoc, map[string]any{"n": number})
	m, _ := p["email"].(map[string]any)
	if m == nil {
		e.t.Fatalf("resend returned no email: %v", p)
	}
	return m
}

// actRenew renews an enrollment (must succeed); lines nil keeps the default.
func (e *env) actRenew(key, old, newNumber, start, end string, lines []any) map[string]any {
	e.t.Helper()
	in := map[string]any{"enrollmentNumber": old, "newEnrollmentNumber": newNumber, "startDate": start, "endDate": end}
	if lines != nil {
		in["lines"] = lines
	}
	return e.mutate(key, actRenewDoc, actIn(in))
}

// ---- accounts and subscriptions ----

// actAccountAt reads an account (subscriptions as of at).
func (e *env) actAccountAt(key, id string, at time.Time) map[string]any {
	e.t.Helper()
	a, _ := e.ok(key, actAccountDoc, map[string]any{"id": id, "at": actAt(at)})["node"].(map[string]any)
	if a == nil || str(a, "id") != id {
		e.t.Fatalf("no account %s", id)
	}
	return a
}

// actSub is one subscription as the tests compare it.
type actSub struct {
	Enrollment, SKU, Status     string
	Quantity, Pending, Licensed int
	GraceUntil                  string
}

func actSubsOf(conn any) []actSub {
	var out []actSub
	edges, _ := get(conn, "edges").([]any)
	for _, ed := range edges {
		n := get(ed, "node")
		out = append(out, actSub{Enrollment: str(n, "enrollment", "number"), SKU: str(n, "sku", "code"), Status: str(n, "status"),
			Quantity: num(n, "quantity"), Pending: num(n, "pendingQuantity"), Licensed: num(n, "licensedQuantity"), GraceUntil: str(n, "graceUntil")})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Enrollment != out[j].Enrollment {
			return out[i].Enrollment < out[j].Enrollment
		}
		return out[i].SKU < out[j].SKU
	})
	return out
}

// actAccountSubs lists an account's subscriptions as of at, sorted by enrollment and SKU.
func (e *env) actAccountSubs(key, accountID string, at time.Time) []actSub {
	e.t.Helper()
	return actSubsOf(get(e.actAccountAt(key, accountID, at), "subscriptions"))
}

// actEnrollmentSubs lists an enrollment's subscriptions as of at, sorted by SKU.
func (e *env) actEnrollmentSubs(key, number string, at time.Time) []actSub {
	e.t.Helper()
	return actSubsOf(get(e.ok(key, actEnrSubsDoc, map[string]any{"n": number, "at": actAt(at)}), "enrollment", "subscriptions"))
}

func actWantSubs(t testing.TB, what string, got []actSub, want ...actSub) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s subscriptions:\n got %+v\nwant %+v", what, got, want)
	}
}

func actLicensedTotal(subs []actSub) int {
	n := 0
	for _, s := range subs {
		n += s.Licensed
	}
	return n
}

// actCustomerAccounts counts a customer's accounts.
func (e *env) actCustomerAccounts(key, customerID string) int {
	e.t.Helper()
	return num(e.ok(key, actCustomerAccountsDoc, map[string]any{"id": customerID}), "node", "accounts", "totalCount")
}

// actEdgeValues lists a field of every node of a connection.
func actEdgeValues(conn any, field string) []string {
	out := []string{}
	edges, _ := get(conn, "edges").([]any)
	for _, ed := range edges {
		out = append(out, str(ed, "node", field))
	}
	sort.Strings(out)
	return out
}
