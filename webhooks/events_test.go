package webhooks_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
	"github.com/licensing-api/licensing-api/webhooks"
)

type eventPage struct {
	Events struct {
		Edges []struct {
			Node   struct{ ID, Topic, TopicName, Data string }
			Cursor string
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
}

func (h *harness) events(key string, first int, after *string, topics []string) eventPage {
	h.t.Helper()
	var out eventPage
	h.gql(key, `query($first: Int, $after: String, $topics: [EventTopic!]) { events(first: $first, after: $after, topics: $topics) {
		edges { node { id topic topicName data } cursor } pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"first": first, "after": after, "topics": topics}, &out)
	return out
}

func (h *harness) sequence() {
	h.t.Helper()
	if _, err := h.store.SequenceEvents(context.Background(), h.clock.Now(), 100); err != nil {
		h.t.Fatal(err)
	}
}

func TestEventsConnectionPagesAndResumes(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		other, err := h.store.CreateReseller(context.Background(), licensing.ResellerDraft{Name: "Another reseller"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := h.store.RecordEvent(context.Background(), models.Event{ResellerID: other.ID, Topic: models.TopicOrderCreated}); err != nil {
			t.Fatal(err)
		}
		topics := []models.Topic{models.TopicOrderCreated, models.TopicOrderProcessed, models.TopicOrderCreated, models.TopicLicensesAvailable, models.TopicOrderCancelled}
		for _, topic := range topics {
			h.record(topic, orderData)
		}
		if got := h.events(h.api.ResellerKey, 10, nil, nil); len(got.Events.Edges) != 0 {
			t.Fatalf("events listed before they were sequenced: %+v", got)
		}
		h.sequence()
		var seen []string
		var after *string
		for page := 0; ; page++ {
			got := h.events(h.api.ResellerKey, 2, after, nil)
			for _, e := range got.Events.Edges {
				seen = append(seen, e.Node.TopicName)
			}
			if got.Events.PageInfo.EndCursor != nil {
				after = got.Events.PageInfo.EndCursor
			}
			if !got.Events.PageInfo.HasNextPage {
				break
			}
			if page > 5 {
				t.Fatal("no end")
			}
		}
		want := []string{"order.created", "order.processed", "order.created", "licenses.available", "order.cancelled"}
		if strings.Join(seen, " ") != strings.Join(want, " ") {
			t.Fatalf("paged %v, want %v (another reseller's event must not show)", seen, want)
		}
		// Resume later from the kept cursor: only what was recorded since.
		if got := h.events(h.api.ResellerKey, 10, after, nil); len(got.Events.Edges) != 0 || got.Events.PageInfo.EndCursor != nil {
			t.Fatalf("nothing new, yet %+v", got)
		}
		h.record(models.TopicSubscriptionRenewed, models.SubscriptionData{Subscription: models.GlobalID("Subscription", 3), Status: "ACTIVE"})
		h.record(models.TopicProductKeyRedeemed, models.ProductKeyData{Account: models.GlobalID("Account", 9)})
		h.sequence()
		got := h.events(h.api.ResellerKey, 10, after, nil)
		if len(got.Events.Edges) != 2 || got.Events.Edges[0].Node.Topic != "SUBSCRIPTION_RENEWED" || got.Events.Edges[1].Node.Topic != "PRODUCT_KEY_REDEEMED" {
			t.Fatalf("resumed: %+v", got)
		}
		var data models.ProductKeyData
		if err := json.Unmarshal([]byte(got.Events.Edges[1].Node.Data), &data); err != nil || data.Account != models.GlobalID("Account", 9) {
			t.Fatalf("data %s: %v", got.Events.Edges[1].Node.Data, err)
		}
		only := h.events(h.api.ResellerKey, 10, nil, []string{"ORDER_CREATED", "ORDER_CANCELLED"})
		if len(only.Events.Edges) != 3 {
			t.Fatalf("filtered by topic: %+v", only)
		}
		// The operator sees every reseller's events.
		if all := h.events(h.api.OperatorKey, 100, nil, nil); len(all.Events.Edges) != len(topics)+3 {
			t.Fatalf("the operator sees %d events", len(all.Events.Edges))
		}
	})
}

// The time-driven events of an order processed through the API: licenses.available 12 hours
// after processing (R-ORD-5), recorded once by two scheduler replicas, named by the order's ID.
func TestLicensesAvailableTwelveHoursAfterProcessing(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		second := testenv.Open(t, url)
		placed := h.placeAndProcess(t, "O365-E3", 25, "webhooks-1")
		availableAt := placed.AvailableAt
		run := func(at time.Time) {
			var wg sync.WaitGroup
			for _, s := range []*models.Store{h.store, second} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.RecordDueEvents(context.Background(), at); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			h.sequence()
		}
		run(apitest.Now)
		run(availableAt.Add(-time.Minute))
		if got := h.events(h.api.ResellerKey, 10, nil, []string{"LICENSES_AVAILABLE"}); len(got.Events.Edges) != 0 {
			t.Fatalf("recorded before the instant: %+v", got)
		}
		run(availableAt.Add(time.Minute))
		run(availableAt.Add(2 * time.Minute))
		got := h.events(h.api.ResellerKey, 10, nil, []string{"LICENSES_AVAILABLE"})
		if len(got.Events.Edges) != 1 {
			t.Fatalf("licenses.available recorded %d times", len(got.Events.Edges))
		}
		var data models.LicensesAvailableData
		if err := json.Unmarshal([]byte(got.Events.Edges[0].Node.Data), &data); err != nil || data.Order != placed.ID ||
			data.Number != placed.Number || !data.AvailableAt.Equal(availableAt) || data.EnrollmentNumber != "ENR-1000001" ||
			len(data.Lines) != 1 || data.Lines[0].Quantity != 25 {
			t.Fatalf("data %s: %v", got.Events.Edges[0].Node.Data, err)
		}
	})
}

// The README's verification snippet is VerifySignature itself, word for word.
func TestReadmeShowsTheVerificationFunction(t *testing.T) {
	src, err := os.ReadFile("verify.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "// VerifySignature checks")
	if start < 0 {
		t.Fatal("verify.go has no VerifySignature")
	}
	fn := string(src[start:])
	if !strings.Contains(string(readme), fn) {
		t.Fatalf("README.md does not show VerifySignature as verify.go has it:\n%s", fn)
	}
	if !strings.Contains(string(readme), webhooks.HeaderSignature) || !strings.Contains(string(readme), "WEBHOOK_ALLOW_PRIVATE_NETWORKS") {
		t.Fatal("README.md does not name the signature header or the private-network setting")
	}
}

// A direct subscription ending with auto-renew off (R-SUB-5) while its licenses are assigned:
// at the day after its end date the scheduler records subscription.expired and the conflict it
// opens (R-LIC-2, R-LIC-3), once each.
func TestExpiryRecordsTheConflictItOpens(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		var accounts struct {
			Accounts struct {
				Edges []struct{ Node struct{ ID, Name string } }
			}
		}
		h.gql(h.api.ResellerKey, `{ accounts { edges { node { id name } } } }`, nil, &accounts)
		account := ""
		for _, e := range accounts.Accounts.Edges {
			if e.Node.Name == "Fabrikam tenant" {
				account = e.Node.ID
			}
		}
		var sub struct {
			CreateDirectSubscription struct {
				Subscription struct{ ID string }
				UserErrors   userErrors
			}
		}
		h.gql(h.api.ResellerKey, `mutation($a: ID!) { createDirectSubscription(input: {accountId: $a, sku: "O365-E3", quantity: 2, endDate: "2026-11-23", autoRenew: false}) {
			subscription { id } userErrors { code message } } }`, map[string]any{"a": account}, &sub)
		var assigned struct {
			AssignLicenses struct{ UserErrors userErrors }
		}
		h.gql(h.api.ResellerKey, `mutation($a: ID!) { assignLicenses(input: {accountId: $a, sku: "O365-E3", userNames: ["alice@fabrikam.com", "bob@fabrikam.com"]}) {
			userErrors { code message } } }`, map[string]any{"a": account}, &assigned)
		if account == "" || len(sub.CreateDirectSubscription.UserErrors)+len(assigned.AssignLicenses.UserErrors) > 0 {
			t.Fatalf("setup: %q %+v %+v", account, sub, assigned)
		}
		end := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
		for _, at := range []time.Time{apitest.Now, end.Add(-time.Minute), end.Add(time.Minute), end.Add(2 * time.Minute)} {
			if _, err := h.store.RecordDueEvents(context.Background(), at); err != nil {
				t.Fatal(err)
			}
		}
		h.sequence()
		got := h.events(h.api.ResellerKey, 10, nil, []string{"SUBSCRIPTION_EXPIRED", "LICENSE_CONFLICT_OPENED"})
		if len(got.Events.Edges) != 2 {
			t.Fatalf("events: %+v", got)
		}
		var expired models.SubscriptionData
		var conflict models.LicenseConflictData
		for _, e := range got.Events.Edges {
			switch e.Node.TopicName {
			case "subscription.expired":
				_ = json.Unmarshal([]byte(e.Node.Data), &expired)
			case "license_conflict.opened":
				_ = json.Unmarshal([]byte(e.Node.Data), &conflict)
			}
		}
		if expired.Subscription != sub.CreateDirectSubscription.Subscription.ID || expired.Cause != models.ExpiredEndOfTerm || expired.DirectAccount == nil || *expired.DirectAccount != account {
			t.Errorf("subscription.expired: %+v", expired)
		}
		if conflict != (models.LicenseConflictData{Account: account, SKU: "O365-E3", Licensed: 0, Assigned: 2, Deficit: 2}) {
			t.Errorf("license_conflict.opened: %+v", conflict)
		}
	})
}

// From a mutation to a signed delivery (issue 13): createOrder and processOrder through the API
// record order.created and order.processed with their changes (R-ORD-1, R-ORD-5); once
// sequenced, the worker delivers each to the endpoint that takes them, signed with its secret.
func TestMutationToSignedDelivery(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		rc := newReceiver(t, nil)
		_, secret := h.createEndpoint(rc.URL+"/hooks", "ORDER_CREATED", "ORDER_PROCESSED")
		placed := h.placeAndProcess(t, "INTUNE", 7, "signed-1")
		h.sequence()
		if n := h.runOnce(h.worker(h.store, webhooks.Options{AllowPrivateNetworks: true})); n != 2 {
			t.Fatalf("delivered %d, want 2", n)
		}
		got := map[string]models.OrderData{}
		for _, r := range rc.requests() {
			if err := webhooks.VerifySignature(secret, r.header.Get(webhooks.HeaderSignature), r.body, 5*time.Minute, h.clock.Now()); err != nil {
				t.Fatalf("%s: the signature does not verify: %v", r.payload.Topic, err)
			}
			var d models.OrderData
			if err := json.Unmarshal(r.payload.Data, &d); err != nil {
				t.Fatal(err)
			}
			got[r.payload.Topic] = d
		}
		created, done := got["order.created"], got["order.processed"]
		if len(got) != 2 || created.Order != placed.ID || created.Status != "PLACED" || done.Order != created.Order ||
			done.Status != "PROCESSED" || done.AvailableAt == nil || !done.AvailableAt.Equal(done.ProcessedAt.Add(12*time.Hour)) ||
			len(done.Lines) != 1 || done.Lines[0] != (models.LineData{SKU: "INTUNE", Quantity: 7}) {
			t.Fatalf("delivered %+v", got)
		}
	})
}
