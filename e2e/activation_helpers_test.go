package e2e

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

// Helpers of the activation tests: the instants they use, activation steps, the mail dispatcher
// with a capturing sender, and exact checks of activationStatus and the records.

// Instants used throughout (t0 = 2026-11-23T09:00:00Z is the server clock at the start).
const (
	t0s          = "2026-11-23T09:00:00Z"
	t0Plus48h    = "2026-11-25T09:00:00Z"
	t0Pending    = "2026-11-23T21:00:00Z" // processing at t0 + 12h (R-ORD-5)
	linkExpiryT0 = "2027-05-23T00:00:00Z" // six months after a 2026-11-23 purchase (R-ACT-8)
)

// activationSubject is the subject of every activation email (R-ACT-1).
const activationSubject = "Sign in or sign up to start using your new subscription"

// readEnrollment reads an enrollment by number.
func (e *env) readEnrollment(key, number string) map[string]any {
	e.t.Helper()
	enr, _ := e.ok(key, enrollmentDoc, map[string]any{"n": number})["enrollment"].(map[string]any)
	if enr == nil {
		e.t.Fatalf("no enrollment %s", number)
	}
	return enr
}

// emailsOf returns an enrollment's activation emails.
func emailsOf(enr map[string]any) []map[string]any {
	l, _ := get(enr, "activationEmails", "edges").([]any)
	out := make([]map[string]any, len(l))
	for i, v := range l {
		out[i], _ = get(v, "node").(map[string]any)
	}
	return out
}

// wantEmail checks one activation email exactly (sentAt "" means null); the subject is
// always the R-ACT-1 subject.
func wantEmail(t testing.TB, m map[string]any, recipient, trigger, scheduledAt, dueBy, sentAt string) {
	t.Helper()
	got := map[string]any{"recipient": m["recipient"], "subject": m["subject"], "trigger": m["trigger"],
		"scheduledAt": m["scheduledAt"], "dueBy": m["dueBy"], "sentAt": m["sentAt"]}
	want := map[string]any{"recipient": recipient, "subject": activationSubject, "trigger": trigger, "scheduledAt": scheduledAt, "dueBy": dueBy, "sentAt": nil}
	if sentAt != "" {
		want["sentAt"] = sentAt
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("activation email:\n got %v\nwant %v", got, want)
	}
}

// wantEmailCount checks the number of activation emails recorded on an enrollment.
func (e *env) wantEmailCount(t testing.TB, key, number string, n int) []map[string]any {
	t.Helper()
	ems := emailsOf(e.readEnrollment(key, number))
	if len(ems) != n {
		t.Fatalf("%s: want %d activation emails, got %d: %v", number, n, len(ems), ems)
	}
	return ems
}

// wantAssociation checks an enrollment's account and cause ("" account: on none).
func wantAssociation(t testing.TB, enr map[string]any, accountID, cause, associatedAt string) {
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

type statusReason struct {
	Code      string  `json:"code"`
	Message   string  `json:"message"`
	Action    string  `json:"action"`
	ChangesAt *string `json:"changesAt"`
	Account   *struct {
		ID string `json:"id"`
	} `json:"account"`
}

type statusResult struct {
	AsOf            string                  `json:"asOf"`
	State           string                  `json:"state"`
	Enrollment      struct{ Number string } `json:"enrollment"`
	RequiredAccount *struct {
		ID string `json:"id"`
	} `json:"requiredAccount"`
	Reasons []statusReason `json:"reasons"`
}

// reasonAccount is the id of the account a reason of the code concerns ("" for none).
func reasonAccount(t testing.TB, st statusResult, code string) string {
	t.Helper()
	r := reasonOf(st, code)
	if r == nil {
		t.Fatalf("no %s reason in %v", code, reasonMessages(st))
	}
	if r.Account == nil {
		return ""
	}
	return r.Account.ID
}

// reason is an expected reason: code, action and changesAt ("" means null).
type reason struct{ code, action, changesAt string }

func (r reason) String() string {
	c := r.changesAt
	if c == "" {
		c = "null"
	}
	return r.code + "/" + r.action + "/" + c
}

func statusFrom(t testing.TB, data map[string]any) statusResult {
	t.Helper()
	raw, _ := json.Marshal(data["activationStatus"])
	var st statusResult
	if err := json.Unmarshal(raw, &st); err != nil || st.State == "" {
		t.Fatalf("no activationStatus in %s", raw)
	}
	return st
}

// activationStatus evaluates activationStatus as of at.
func (e *env) activationStatus(key, number string, at time.Time) statusResult {
	e.t.Helper()
	st := statusFrom(e.t, e.ok(key, statusDoc, map[string]any{"n": number, "at": dateTime(at)}))
	if st.AsOf != dateTime(at) || !strings.EqualFold(st.Enrollment.Number, number) {
		e.t.Errorf("activationStatus echoes asOf %q / enrollment %q, want %q / %q", st.AsOf, st.Enrollment.Number, dateTime(at), number)
	}
	return st
}

// wantStatus checks the state and the exact list of reasons (in order); every reason must carry a
// message. Not fatal: the test goes on to check what follows.
func wantStatus(t testing.TB, st statusResult, state string, want ...reason) {
	t.Helper()
	var got []reason
	for _, r := range st.Reasons {
		c := ""
		if r.ChangesAt != nil {
			c = *r.ChangesAt
		}
		got = append(got, reason{r.Code, r.Action, c})
		if strings.TrimSpace(r.Message) == "" {
			t.Errorf("reason %s has no message", r.Code)
		}
	}
	if st.State != state || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("activationStatus(%s, asOf %s):\n got %s %v\nwant %s %v\nmessages: %v", st.Enrollment.Number, st.AsOf, st.State, got, state, want, reasonMessages(st))
	}
}

// wantStatusAt evaluates the status as of at and checks it exactly.
func (e *env) wantStatusAt(t testing.TB, key, number string, at time.Time, state string, want ...reason) statusResult {
	t.Helper()
	st := e.activationStatus(key, number, at)
	wantStatus(t, st, state, want...)
	return st
}

func reasonMessages(st statusResult) []string {
	var out []string
	for _, r := range st.Reasons {
		out = append(out, r.Code+": "+r.Message)
	}
	return out
}

// reasonOf returns the first reason with the code, or nil.
func reasonOf(st statusResult, code string) *statusReason {
	return firstWhere(st.Reasons, func(r *statusReason) bool { return r.Code == code })
}

// outbox captures what the dispatcher sends.
type outbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

// wantNoEmails dispatches at the instant and fails the test if any email went out (what says
// which must not have).
func (e *env) wantNoEmails(t testing.TB, at time.Time, what string) {
	t.Helper()
	if msgs := e.dispatch(t, at); len(msgs) != 0 {
		t.Fatalf("%s: %+v", what, msgs)
	}
}

// dispatch runs the mail dispatcher once with its clock at `at` and returns the messages it sent.
func (e *env) dispatch(t testing.TB, at time.Time) []mail.Message {
	t.Helper()
	box := &outbox{}
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
		if m.Subject != activationSubject {
			t.Errorf("message subject %q, want %q", m.Subject, activationSubject)
		}
	}
	return box.sent
}

// tokenOf extracts the activation token of a message's link.
func tokenOf(t testing.TB, m mail.Message) string {
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

// tokenFor returns the token of the one message sent for an enrollment.
func tokenFor(t testing.TB, msgs []mail.Message, number string) string {
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
	return tokenOf(t, found[0])
}

// recipients lists the recipients of messages, sorted.
func recipients(msgs []mail.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, m.To)
	}
	sort.Strings(out)
	return out
}

// sendToken dispatches at `at` and returns the token of the one email of the enrollment.
func (e *env) sendToken(t testing.TB, number string, at time.Time) string {
	t.Helper()
	return tokenFor(t, e.dispatch(t, at), number)
}

func activateVars(token, accountID string, newAccount map[string]any) map[string]any {
	in := map[string]any{"token": token}
	if accountID != "" {
		in["accountId"] = accountID
	}
	if newAccount != nil {
		in["newAccount"] = newAccount
	}
	return vars(in)
}

// activate activates with a token onto an existing account (must succeed); returns the enrollment.
func (e *env) activate(key, token, accountID string) map[string]any {
	e.t.Helper()
	p := e.mutate(key, activateDoc, activateVars(token, accountID, nil))
	return p["enrollment"].(map[string]any)
}

// activateNew activates with a token onto a new account (must succeed).
func (e *env) activateNew(key, token string, newAccount map[string]any) map[string]any {
	e.t.Helper()
	p := e.mutate(key, activateDoc, activateVars(token, "", newAccount))
	return p["enrollment"].(map[string]any)
}

// refuseActivation activates with a token and expects exactly one refusal.
func (e *env) refuseActivation(t testing.TB, key, token, accountID string, newAccount map[string]any, code, field string) {
	t.Helper()
	onlyUserError(t, e.refusedPayload(t, key, activateDoc, activateVars(token, accountID, newAccount), "enrollment"), code, field)
}

// updateContact updates the subscription contact (must not be refused); returns the payload.
func (e *env) updateContact(key, number, name, email string) map[string]any {
	e.t.Helper()
	return e.mutate(key, contactDoc, vars(map[string]any{"enrollmentNumber": number, "osmName": name, "osmEmail": email}))
}

// resend asks for a resend (must succeed); returns the email.
func (e *env) resend(key, number string) map[string]any {
	e.t.Helper()
	return e.mutated(key, resendDoc, map[string]any{"n": number}, "email")
}

// renew renews an enrollment (must succeed); lines nil keeps the default.
func (e *env) renew(key, old, newNumber, start, end string, lines []any) map[string]any {
	e.t.Helper()
	in := map[string]any{"enrollmentNumber": old, "newEnrollmentNumber": newNumber, "startDate": start, "endDate": end}
	if lines != nil {
		in["lines"] = lines
	}
	return e.mutate(key, renewEnrollmentDoc, vars(in))
}

// incompatibleActivation is a world whose account holds the SKU held (a direct purchase) and
// whose enrollment E-1 brings the SKU brought: activating E-1 onto the account is refused with
// INCOMPATIBLE_SKUS. It returns the world and the enrollment's activation token.
func (e *env) incompatibleActivation(t *testing.T, held, brought string) (world, string) {
	t.Helper()
	w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
	e.direct(w.Key, w.AccountID, held, 5, "2027-11-30", true)
	e.buyToday(w.Key, "E-1", "o1", brought, 10)
	tok := e.sendToken(t, "E-1", t0)
	e.refuseActivation(t, w.Key, tok, w.AccountID, nil, "INCOMPATIBLE_SKUS", "accountId")
	return w, tok
}
