package webhooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/webhooks"
)

var orderData = models.OrderData{Order: models.GlobalID("Order", 42), Number: "ORD-5Z3K0", Status: "PLACED",
	Enrollment: models.GlobalID("Enrollment", 7), EnrollmentNumber: "ENR-1000001", Lines: []models.LineData{{SKU: "O365-E3", Quantity: 25}},
	PurchaseDate: "2026-11-23", UsageStartDate: "2026-11-23"}

func TestDeliveryIsSignedAndVerifies(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		rc := newReceiver(t, nil)
		endpoint, secret := h.createEndpoint(rc.URL+"/hooks?partner-token=abc", "ORDER_CREATED")
		h.record(models.TopicOrderCreated, orderData)
		h.record(models.TopicOrderProcessed, orderData) // a topic the endpoint does not take
		w := h.worker(h.store, webhooks.Options{AllowPrivateNetworks: true})
		if n := h.runOnce(w); n != 1 {
			t.Fatalf("delivered %d, want 1", n)
		}
		got := rc.requests()
		if len(got) != 1 {
			t.Fatalf("the receiver got %d requests", len(got))
		}
		r := got[0]
		header := r.header.Get(webhooks.HeaderSignature)
		if err := webhooks.VerifySignature(secret, header, r.body, 5*time.Minute, h.clock.Now()); err != nil {
			t.Fatalf("the signature does not verify: %v (%s)", err, header)
		}
		for name, err := range map[string]error{
			"another secret":         webhooks.VerifySignature(models.WebhookSecretPrefix+"other", header, r.body, 5*time.Minute, h.clock.Now()),
			"a changed body":         webhooks.VerifySignature(secret, header, append([]byte(" "), r.body...), 5*time.Minute, h.clock.Now()),
			"an old delivery":        webhooks.VerifySignature(secret, header, r.body, 5*time.Minute, h.clock.Now().Add(time.Hour)),
			"no signature":           webhooks.VerifySignature(secret, "t=1", r.body, 5*time.Minute, h.clock.Now()),
			"a header with no stamp": webhooks.VerifySignature(secret, strings.Split(header, ",")[1], r.body, 5*time.Minute, h.clock.Now()),
		} {
			if err == nil {
				t.Errorf("%s verifies", name)
			}
		}
		// The payload: the event's id (also in the header, for de-duplication), topic, instant, data.
		var events struct {
			Events struct {
				Edges []struct {
					Node struct{ ID, Topic, TopicName, Data string }
				}
			}
		}
		h.gql(h.api.ResellerKey, `{ events(topics: [ORDER_CREATED]) { edges { node { id topic topicName data } } } }`, nil, &events)
		if len(events.Events.Edges) != 1 {
			t.Fatalf("events: %+v", events)
		}
		ev := events.Events.Edges[0].Node
		var data models.OrderData
		if err := json.Unmarshal(r.payload.Data, &data); err != nil || data.Number != orderData.Number || data.Lines[0].Quantity != 25 {
			t.Fatalf("data %s: %v", r.payload.Data, err)
		}
		if r.payload.ID != ev.ID || r.header.Get(webhooks.HeaderEventID) != ev.ID || r.payload.Topic != "order.created" || ev.TopicName != "order.created" ||
			!r.payload.OccurredAt.Equal(h.clock.Now()) || r.header.Get(webhooks.HeaderEventTopic) != "order.created" ||
			r.header.Get("Content-Type") != "application/json" || r.header.Get(webhooks.HeaderAttempt) != "1" || ev.Data != string(r.payload.Data) {
			t.Fatalf("payload %+v, headers %v; event %+v", r.payload, r.header, ev)
		}
		ds := h.deliveries(map[string]any{"endpointId": endpoint})
		as := h.attempts(map[string]any{"endpointId": endpoint})
		if len(ds) != 1 || ds[0].Status != "DELIVERED" || ds[0].Attempts != 1 || ds[0].EventID != ev.ID || ds[0].Kind != "EVENT" ||
			len(as) != 1 || !as[0].Succeeded || as[0].StatusCode == nil || *as[0].StatusCode != 200 || as[0].Error != nil || as[0].NextAttemptAt != nil {
			t.Fatalf("deliveries %+v, attempts %+v", ds, as)
		}
		if ep := h.endpoint(endpoint); ep.LastSuccessAt == nil || ep.FailingSince != nil {
			t.Fatalf("endpoint %+v", ep)
		}
		// Part 4: no log line carries the secret, the signature or the URL (and its token).
		logs := h.logs.String()
		sig := strings.TrimPrefix(strings.Split(header, ",")[1], "v1=")
		if !strings.Contains(logs, "webhook delivered") || strings.Contains(logs, secret[len(models.WebhookSecretPrefix):]) ||
			strings.Contains(logs, sig) || strings.Contains(logs, "partner-token") {
			t.Fatalf("worker logs: %s", logs)
		}
	})
}

func TestReceiverAnswering500Then200GetsTheEventTwice(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		rc := newReceiver(t, func(n int, _ *http.Request) int {
			if n == 1 {
				return http.StatusInternalServerError
			}
			return http.StatusNoContent
		})
		endpoint, _ := h.createEndpoint(rc.URL, "ORDER_CREATED")
		h.record(models.TopicOrderCreated, orderData)
		w := h.worker(h.store, webhooks.Options{AllowPrivateNetworks: true})
		if n := h.runOnce(w); n != 0 {
			t.Fatalf("delivered %d on a 500", n)
		}
		ds := h.deliveries(nil)
		if len(ds) != 1 || ds[0].Status != "PENDING" || ds[0].NextAttemptAt == nil || ds[0].LastStatusCode == nil || *ds[0].LastStatusCode != 500 {
			t.Fatalf("after a 500: %+v", ds)
		}
		// 30s base, half of it jittered away at 0.5: the next attempt is 22.5s later.
		if want := h.clock.Now().Add(22500 * time.Millisecond); !ds[0].NextAttemptAt.Equal(want) {
			t.Errorf("next attempt at %s, want %s", ds[0].NextAttemptAt, want)
		}
		if ep := h.endpoint(endpoint); ep.FailingSince == nil || ep.LastFailure == nil || *ep.LastFailure != "HTTP 500" {
			t.Fatalf("endpoint after a 500: %+v", ep)
		}
		h.runOnce(w) // not due yet
		if len(rc.requests()) != 1 {
			t.Fatalf("retried before the back-off: %d requests", len(rc.requests()))
		}
		h.clock.Add(time.Minute)
		if n := h.runOnce(w); n != 1 {
			t.Fatalf("delivered %d on the retry", n)
		}
		got := rc.requests()
		if len(got) != 2 || got[0].header.Get(webhooks.HeaderEventID) != got[1].header.Get(webhooks.HeaderEventID) || got[1].header.Get(webhooks.HeaderAttempt) != "2" {
			t.Fatalf("the receiver got %d requests", len(got))
		}
		ds, as := h.deliveries(nil), h.attempts(nil)
		if ds[0].Status != "DELIVERED" || ds[0].Attempts != 2 || len(as) != 2 || as[0].Succeeded || as[0].NextAttemptAt == nil || !as[1].Succeeded ||
			*as[1].StatusCode != 204 || as[1].Attempt != 2 {
			t.Fatalf("deliveries %+v, attempts %+v", ds, as)
		}
		if ep := h.endpoint(endpoint); ep.FailingSince != nil || ep.LastSuccessAt == nil {
			t.Fatalf("endpoint after the success: %+v", ep)
		}
	})
}

func TestHangingReceiverIsTimedOut(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		release := make(chan struct{})
		rc := newReceiver(t, func(int, *http.Request) int {
			<-release
			return http.StatusOK
		})
		t.Cleanup(func() { close(release) }) // before the receiver closes (cleanups run last first)
		h.createEndpoint(rc.URL, "ORDER_CREATED")
		h.record(models.TopicOrderCreated, orderData)
		w := h.worker(h.store, webhooks.Options{AllowPrivateNetworks: true, Timeout: 300 * time.Millisecond})
		start := time.Now()
		if n := h.runOnce(w); n != 0 {
			t.Fatal("a hanging receiver counted as delivered")
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("the attempt took %s", took)
		}
		as := h.attempts(nil)
		if len(as) != 1 || as[0].Succeeded || as[0].StatusCode != nil || as[0].Error == nil || !strings.Contains(*as[0].Error, "timed out") ||
			as[0].NextAttemptAt == nil || as[0].DurationMs < 250 {
			t.Fatalf("attempts: %+v", as)
		}
		if ds := h.deliveries(nil); ds[0].Status != "PENDING" {
			t.Fatalf("deliveries: %+v", ds)
		}
	})
}

// Two server instances on one database deliver each attempt once: the receiver fails the
// first attempt of every event, so each event arrives exactly twice, attempts 1 and 2.
func TestTwoInstancesDeliverEachAttemptOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		second := testenv.Open(t, url)
		rc := newReceiver(t, func(n int, _ *http.Request) int {
			time.Sleep(5 * time.Millisecond) // widen the window in which both could claim
			if n == 1 {
				return http.StatusBadGateway
			}
			return http.StatusOK
		})
		h.createEndpoint(rc.URL, "ORDER_CREATED", "ORDER_PROCESSED")
		const events = 30
		for i := range events {
			h.record([]models.Topic{models.TopicOrderCreated, models.TopicOrderProcessed}[i%2], orderData)
		}
		workers := []*webhooks.Worker{h.worker(h.store, webhooks.Options{AllowPrivateNetworks: true}), h.worker(second, webhooks.Options{AllowPrivateNetworks: true})}
		for round := 0; round < 6; round++ {
			var wg sync.WaitGroup
			for _, w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := w.RunOnce(context.Background()); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			h.clock.Add(time.Hour)
		}
		got := rc.requests()
		perEvent := map[string][]string{}
		for _, r := range got {
			id := r.header.Get(webhooks.HeaderEventID)
			perEvent[id] = append(perEvent[id], r.header.Get(webhooks.HeaderAttempt))
		}
		if len(perEvent) != events || len(got) != 2*events {
			t.Fatalf("%d requests for %d events, want %d for %d", len(got), len(perEvent), 2*events, events)
		}
		for id, attempts := range perEvent {
			if len(attempts) != 2 || attempts[0] != "1" || attempts[1] != "2" {
				t.Errorf("event %s: attempts %v", id, attempts)
			}
		}
		var total struct{ WebhookAttempts struct{ TotalCount int } }
		h.gql(h.api.ResellerKey, `{ webhookAttempts { totalCount } }`, nil, &total)
		if total.WebhookAttempts.TotalCount != 2*events {
			t.Fatalf("%d attempts recorded, want %d", total.WebhookAttempts.TotalCount, 2*events)
		}
		for _, d := range h.deliveries(nil) {
			if d.Status != "DELIVERED" || d.Attempts != 2 {
				t.Errorf("delivery %+v", d)
			}
		}
	})
}

func TestPrivateAddressesAreRefusedAtDialTime(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "::1": "loopback", "::ffff:127.0.0.1": "loopback", "10.1.2.3": "private", "192.168.0.10": "private",
		"172.16.5.4": "private", "fd12::1": "private", "169.254.169.254": "link-local", "fe80::1": "link-local", "0.0.0.0": "unspecified",
		"100.64.0.1": "reserved", "64:ff9b::a01:203": "private", "239.1.2.3": "multicast", "224.0.0.1": "link-local", "8.8.8.8": "", "2606:4700:4700::1111": "",
	} {
		if got := webhooks.AddressClass(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		rc := newReceiver(t, nil)
		// The receiver by IP, and by a name that resolves to loopback: the check runs on the
		// address being dialled, after DNS.
		byName := strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)
		h.createEndpoint(rc.URL, "ORDER_CREATED")
		h.createEndpoint(byName, "ORDER_CREATED")
		h.record(models.TopicOrderCreated, orderData)
		w := h.worker(h.store, webhooks.Options{})
		h.runOnce(w)
		if n := len(rc.requests()); n != 0 {
			t.Fatalf("the receiver on loopback got %d requests", n)
		}
		as := h.attempts(nil)
		if len(as) != 2 {
			t.Fatalf("attempts: %+v", as)
		}
		for _, a := range as {
			if a.Succeeded || a.Error == nil || !strings.Contains(*a.Error, "loopback") || !strings.Contains(*a.Error, "WEBHOOK_ALLOW_PRIVATE_NETWORKS") {
				t.Errorf("attempt %+v: %v", a, a.Error)
			}
		}
	})
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		target := newReceiver(t, nil)
		rc := newReceiver(t, nil)
		rc.Config.Handler = http.RedirectHandler(target.URL, http.StatusTemporaryRedirect)
		h.createEndpoint(rc.URL, "ORDER_CREATED")
		h.record(models.TopicOrderCreated, orderData)
		h.runOnce(h.worker(h.store, webhooks.Options{AllowPrivateNetworks: true}))
		if as := h.attempts(nil); len(as) != 1 || as[0].Succeeded || *as[0].StatusCode != 307 || len(target.requests()) != 0 {
			t.Fatalf("attempts %+v; the redirect's target got %d", as, len(target.requests()))
		}
	})
}

func TestSecretRotationSignsWithBothDuringTheOverlap(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		rc := newReceiver(t, nil)
		endpoint, oldSecret := h.createEndpoint(rc.URL, "ORDER_CREATED")
		var out struct {
			RotateWebhookSecret struct {
				Endpoint struct{ PreviousSecretExpiresAt time.Time }
				Secret   string
			}
		}
		h.gql(h.api.ResellerKey, `mutation($id: ID!) { rotateWebhookSecret(input: {id: $id, overlapSeconds: 3600}) {
			endpoint { previousSecretExpiresAt } secret userErrors { code } } }`, map[string]any{"id": endpoint}, &out)
		newSecret := out.RotateWebhookSecret.Secret
		if newSecret == oldSecret || !strings.HasPrefix(newSecret, models.WebhookSecretPrefix) ||
			!out.RotateWebhookSecret.Endpoint.PreviousSecretExpiresAt.Equal(h.clock.Now().Add(time.Hour)) {
			t.Fatalf("rotated: %+v", out)
		}
		w := h.worker(h.store, webhooks.Options{AllowPrivateNetworks: true})
		h.record(models.TopicOrderCreated, orderData)
		h.runOnce(w)
		h.clock.Add(2 * time.Hour) // past the overlap
		h.record(models.TopicOrderCreated, orderData)
		h.runOnce(w)
		got := rc.requests()
		if len(got) != 2 {
			t.Fatalf("%d requests", len(got))
		}
		during, after := got[0], got[1]
		if n := strings.Count(during.header.Get(webhooks.HeaderSignature), "v1="); n != 2 {
			t.Fatalf("%d signatures during the overlap", n)
		}
		verify := func(r received, secret string, at time.Time) error {
			return webhooks.VerifySignature(secret, r.header.Get(webhooks.HeaderSignature), r.body, 5*time.Minute, at)
		}
		start := h.clock.Now().Add(-2 * time.Hour)
		if verify(during, oldSecret, start) != nil || verify(during, newSecret, start) != nil {
			t.Fatal("during the overlap both secrets must verify")
		}
		if strings.Count(after.header.Get(webhooks.HeaderSignature), "v1=") != 1 || verify(after, newSecret, h.clock.Now()) != nil ||
			verify(after, oldSecret, h.clock.Now()) == nil {
			t.Fatal("after the overlap only the new secret may verify")
		}
		if ep := h.endpoint(endpoint); ep.PreviousSecretExpiresAt == nil {
			t.Fatalf("endpoint %+v", ep)
		}
	})
}

func TestReplayAndTestWebhook(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		var failTests atomic.Bool
		rc := newReceiver(t, func(_ int, r *http.Request) int {
			if failTests.Load() && r.Header.Get(webhooks.HeaderEventTopic) == "webhook.test" {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		endpoint, secret := h.createEndpoint(rc.URL, "ORDER_CREATED")
		w := h.worker(h.store, webhooks.Options{AllowPrivateNetworks: true})
		var sent struct {
			SendTestWebhook struct {
				Delivery   struct{ ID, Kind, Status string }
				UserErrors userErrors
			}
		}
		test := `mutation($id: ID!) { sendTestWebhook(input: {endpointId: $id}) { delivery { id kind status } userErrors { code message } } }`
		h.gql(h.api.ResellerKey, test, map[string]any{"id": endpoint}, &sent)
		if sent.SendTestWebhook.Delivery.Kind != "TEST" || sent.SendTestWebhook.Delivery.Status != "PENDING" {
			t.Fatalf("sendTestWebhook: %+v", sent)
		}
		h.runOnce(w)
		got := rc.requests()
		if len(got) != 1 || got[0].payload.Topic != "webhook.test" ||
			webhooks.VerifySignature(secret, got[0].header.Get(webhooks.HeaderSignature), got[0].body, time.Minute, h.clock.Now()) != nil {
			t.Fatalf("test delivery: %+v", got)
		}
		// A failed test delivery is not retried.
		failTests.Store(true)
		h.gql(h.api.ResellerKey, test, map[string]any{"id": endpoint}, &sent)
		h.runOnce(w)
		h.clock.Add(time.Hour)
		h.runOnce(w)
		if ds := h.deliveries(map[string]any{"status": "FAILED"}); len(ds) != 1 || ds[0].Kind != "TEST" || ds[0].Attempts != 1 || ds[0].NextAttemptAt != nil {
			t.Fatalf("failed test delivery: %+v", ds)
		}
		// Replay: the same event, with its own id, again.
		h.record(models.TopicOrderCreated, orderData)
		h.runOnce(w)
		var events struct {
			Events struct {
				Edges []struct{ Node struct{ ID, Topic string } }
			}
		}
		h.gql(h.api.ResellerKey, `{ events { edges { node { id topic } } } }`, nil, &events)
		if len(events.Events.Edges) != 1 || events.Events.Edges[0].Node.Topic != "ORDER_CREATED" {
			t.Fatalf("the events connection lists test events or misses the order: %+v", events)
		}
		eventID := events.Events.Edges[0].Node.ID
		var replay struct {
			ReplayWebhookEvent struct {
				Delivery   struct{ Kind, EventID string }
				UserErrors userErrors
			}
		}
		h.gql(h.api.ResellerKey, `mutation($ep: ID!, $ev: ID!) { replayWebhookEvent(input: {endpointId: $ep, eventId: $ev}) {
			delivery { kind eventId } userErrors { code message } } }`, map[string]any{"ep": endpoint, "ev": eventID}, &replay)
		if replay.ReplayWebhookEvent.Delivery.Kind != "REPLAY" || replay.ReplayWebhookEvent.Delivery.EventID != eventID {
			t.Fatalf("replay: %+v", replay)
		}
		h.runOnce(w)
		var ids []string
		for _, r := range rc.requests() {
			if r.payload.Topic == "order.created" {
				ids = append(ids, r.payload.ID)
			}
		}
		if len(ids) != 2 || ids[0] != eventID || ids[1] != eventID {
			t.Fatalf("order.created deliveries: %v, want %s twice", ids, eventID)
		}
		// Another reseller's event, or a made-up one, is not found.
		h.gql(h.api.ResellerKey, `mutation($ep: ID!) { replayWebhookEvent(input: {endpointId: $ep, eventId: "RXZlbnQ6MQ"}) {
			delivery { kind } userErrors { code message } } }`, map[string]any{"ep": endpoint}, &replay)
		if len(replay.ReplayWebhookEvent.UserErrors) != 1 || replay.ReplayWebhookEvent.UserErrors[0].Code != "NOT_FOUND" {
			t.Fatalf("replay of a missing event: %+v", replay)
		}
	})
}

func TestEndpointFailingForADayIsDisabled(t *testing.T) {
	eachDB(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		rc := newReceiver(t, func(int, *http.Request) int { return http.StatusServiceUnavailable })
		endpoint, _ := h.createEndpoint(rc.URL, "ORDER_CREATED")
		h.record(models.TopicOrderCreated, orderData)
		w := h.worker(h.store, webhooks.Options{AllowPrivateNetworks: true})
		start := h.clock.Now()
		for h.clock.Now().Sub(start) < 30*time.Hour {
			h.runOnce(w)
			h.clock.Add(30 * time.Minute)
		}
		ep := h.endpoint(endpoint)
		if ep.Status != "DISABLED" || ep.DisabledReason == nil || !strings.Contains(*ep.DisabledReason, "every delivery failed for") ||
			!strings.Contains(*ep.DisabledReason, "HTTP 503") || ep.LastFailure == nil {
			t.Fatalf("endpoint after a day of failures: %+v", ep)
		}
		ds := h.deliveries(nil)
		as := h.attempts(nil)
		last := as[len(as)-1]
		if len(ds) != 1 || ds[0].Status != "FAILED" || len(as) < 8 || len(rc.requests()) != len(as) || last.NextAttemptAt != nil {
			t.Fatalf("deliveries %+v; %d attempts, %d requests; last %+v", ds, len(as), len(rc.requests()), last)
		}
		// Exponential back-off (30s doubling, at most 3h; the test's jitter keeps 3/4 of it)
		// until a day after the event was queued; the last attempt at that instant.
		deadline := start.Add(24 * time.Hour)
		for _, a := range as[:len(as)-1] {
			want := min(30*time.Second<<(a.Attempt-1), 3*time.Hour) * 3 / 4
			if got := a.NextAttemptAt.Sub(a.StartedAt); got != want && !a.NextAttemptAt.Equal(deadline) {
				t.Errorf("attempt %d: next after %s, want %s", a.Attempt, got, want)
			}
		}
		if !last.StartedAt.Equal(deadline) {
			t.Errorf("the last attempt at %s, want %s", last.StartedAt, deadline)
		}
	})
}
