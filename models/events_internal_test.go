package models

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/testenv/testdb"
)

var eventsNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// twoTestStores runs fn on every engine with two stores over one database, as two replicas.
func twoTestStores(t *testing.T, fn func(t *testing.T, a, b *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		path := testdb.SQLite(t)
		fn(t, openTestStore(t, path), openTestStore(t, path))
	})
	if dsn := testdb.MySQLDSN(); dsn != "" {
		t.Run("mysql", func(t *testing.T) {
			url := testdb.MySQL(t, dsn)
			fn(t, openTestStore(t, url), openTestStore(t, url))
		})
	}
}

func eventsReseller(t *testing.T, s *Store, name string) Caller {
	t.Helper()
	r, err := s.CreateReseller(context.Background(), licensing.ResellerDraft{Name: name}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return Caller{Role: RoleReseller, ResellerID: r.ID}
}

func allEvents(t *testing.T, s *Store) []Event {
	t.Helper()
	var out []Event
	if err := s.db.Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecordEventIsWrittenWithItsTransaction(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		c := eventsReseller(t, s, "R")
		boom := errors.New("the change fails")
		err := s.InTx(ctx, func(tx *Store) error {
			if err := tx.RecordEvent(ctx, Event{ResellerID: c.ResellerID, Topic: TopicOrderCreated, Data: OrderData{Number: "ORD-1"}}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || len(allEvents(t, s)) != 0 {
			t.Fatalf("a rolled-back change left %d events (%v)", len(allEvents(t, s)), err)
		}
		at := eventsNow.Add(-time.Hour)
		err = s.InTx(ctx, func(tx *Store) error {
			return tx.RecordEvent(ctx, Event{ResellerID: c.ResellerID, Topic: TopicOrderCreated, OccurredAt: at, Data: OrderData{Number: "ORD-2", Lines: []LineData{{SKU: "O365-E3", Quantity: 5}}}})
		})
		if err != nil {
			t.Fatal(err)
		}
		evs := allEvents(t, s)
		if len(evs) != 1 || evs[0].Seq != nil || !evs[0].OccurredAt.Equal(at) || evs[0].Topic != TopicOrderCreated {
			t.Fatalf("events: %+v", evs)
		}
		var d OrderData
		if err := json.Unmarshal([]byte(evs[0].Payload), &d); err != nil || d.Number != "ORD-2" || len(d.Lines) != 1 || d.Lines[0].Quantity != 5 {
			t.Fatalf("payload %s: %v", evs[0].Payload, err)
		}
		for _, bad := range []Event{
			{ResellerID: c.ResellerID, Topic: "order.exploded"},
			{ResellerID: 0, Topic: TopicOrderCreated},
			{ResellerID: c.ResellerID, Topic: TopicOrderCreated, Payload: `[1,2]`},
			{ResellerID: c.ResellerID, Topic: TopicOrderCreated, Data: map[string]string{"x": string(make([]byte, MaxEventPayload))}},
		} {
			if err := s.RecordEvent(ctx, bad); err == nil {
				t.Errorf("recorded %+v", bad.Topic)
			}
		}
	})
}

func TestSequenceGivesCommitOrderAndQueuesDeliveries(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		c := eventsReseller(t, s, "R")
		other := eventsReseller(t, s, "Other")
		orders, err := s.CreateWebhookEndpoint(ctx, c, nil, WebhookEndpointDraft{URL: "https://a.example/hook", Topics: []Topic{TopicOrderCreated}}, eventsNow)
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.CreateWebhookEndpoint(ctx, c, nil, WebhookEndpointDraft{URL: "https://b.example/hook", Topics: Topics}, eventsNow)
		if err != nil {
			t.Fatal(err)
		}
		off, err := s.CreateWebhookEndpoint(ctx, c, nil, WebhookEndpointDraft{URL: "https://c.example/hook", Topics: Topics}, eventsNow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetWebhookEndpointEnabled(ctx, c, off.ID, false, eventsNow); err != nil {
			t.Fatal(err)
		}
		record := func(c Caller, topic Topic) {
			if err := s.RecordEvent(ctx, Event{ResellerID: c.ResellerID, Topic: topic}); err != nil {
				t.Fatal(err)
			}
		}
		record(c, TopicOrderCreated)
		record(c, TopicOrderProcessed)
		record(other, TopicOrderCreated)
		if n, err := s.SequenceEvents(ctx, eventsNow, 100); err != nil || n != 3 {
			t.Fatalf("sequenced %d: %v", n, err)
		}
		// An event that committed after the sequencer ran, with an id below the ones it
		// sequenced (its transaction started first), comes after them: a reader resuming
		// after the last seq it saw still gets it.
		page, err := s.Events(ctx, c, EventFilter{}, Page{First: 10})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("events: %v, %v", page, err)
		}
		seen := *page.Items[1].Seq
		late := Event{ResellerID: c.ResellerID, Topic: TopicOrderCancelled, Payload: `{}`, OccurredAt: eventsNow, CreatedAt: eventsNow}
		late.ID = page.Items[0].ID - 1
		if err := s.db.Create(&late).Error; err != nil {
			t.Fatal(err)
		}
		if n, err := s.SequenceEvents(ctx, eventsNow, 100); err != nil || n != 1 {
			t.Fatalf("sequenced %d: %v", n, err)
		}
		next, err := s.Events(ctx, c, EventFilter{}, Page{First: 10, After: seen})
		if err != nil || len(next.Items) != 1 || next.Items[0].ID != late.ID {
			t.Fatalf("after seq %d: %+v, %v", seen, next, err)
		}
		only, err := s.Events(ctx, c, EventFilter{Topics: []Topic{TopicOrderProcessed}}, Page{First: 10})
		if err != nil || len(only.Items) != 1 || only.Items[0].Topic != TopicOrderProcessed {
			t.Fatalf("filtered: %+v, %v", only, err)
		}
		var ds []WebhookDelivery
		if err := s.db.Order("id").Find(&ds).Error; err != nil {
			t.Fatal(err)
		}
		got := map[int64][]Topic{}
		for _, d := range ds {
			got[d.EndpointID] = append(got[d.EndpointID], d.Topic)
			if d.Status != DeliveryPending || d.Kind != DeliveryEvent || d.ResellerID != c.ResellerID {
				t.Errorf("delivery %+v", d)
			}
		}
		if len(got[orders.ID]) != 1 || len(got[all.ID]) != 3 || len(got[off.ID]) != 0 || len(ds) != 4 {
			t.Fatalf("deliveries by endpoint: %v", got)
		}
	})
}

func TestSequencersOnTwoReplicasGiveEachSeqOnce(t *testing.T) {
	ctx := context.Background()
	twoTestStores(t, func(t *testing.T, a, b *Store) {
		c := eventsReseller(t, a, "R")
		if _, err := a.CreateWebhookEndpoint(ctx, c, nil, WebhookEndpointDraft{URL: "https://a.example/hook", Topics: Topics}, eventsNow); err != nil {
			t.Fatal(err)
		}
		const events = 60
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for i, s := range []*Store{a, b} {
			wg.Add(2)
			go func() { // a writer per replica
				defer wg.Done()
				for j := 0; j < events/2; j++ {
					if err := s.RecordEvent(ctx, Event{ResellerID: c.ResellerID, Topic: Topics[(i+j)%len(Topics)]}); err != nil {
						errs <- err
						return
					}
				}
			}()
			go func() { // and a sequencer
				defer wg.Done()
				for j := 0; j < 40; j++ {
					if _, err := s.SequenceEvents(ctx, eventsNow, 7); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for {
			n, err := a.SequenceEvents(ctx, eventsNow, 100)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		evs := allEvents(t, a)
		seqs := map[int64]bool{}
		for _, e := range evs {
			if e.Seq == nil || *e.Seq < 1 || *e.Seq > events || seqs[*e.Seq] {
				t.Fatalf("event %d has seq %v (seen: %v)", e.ID, e.Seq, e.Seq != nil && seqs[*e.Seq])
			}
			seqs[*e.Seq] = true
		}
		var deliveries int64
		if err := a.db.Model(&WebhookDelivery{}).Count(&deliveries).Error; err != nil {
			t.Fatal(err)
		}
		if len(evs) != events || len(seqs) != events || deliveries != events {
			t.Fatalf("%d events, %d seqs, %d deliveries; want %d each", len(evs), len(seqs), deliveries, events)
		}
	})
}

// dueFixture stores, for one reseller, what each time-driven event derives from.
type dueFixture struct {
	order, pending, inTime, graced, ending, renewing int64
	processedAt, reservedAt, graceUntil              time.Time
	endDate                                          licensing.Date
}

func seedDue(t *testing.T, s *Store, c Caller) dueFixture {
	t.Helper()
	f := dueFixture{processedAt: eventsNow.Add(time.Hour), reservedAt: eventsNow.Add(2 * time.Hour), graceUntil: eventsNow.Add(3 * time.Hour),
		endDate: licensing.DateOf(eventsNow)}
	enr := Enrollment{ID: newID(), ResellerID: c.ResellerID, Number: "E-1", Status: licensing.EnrollmentActive, CreatedAt: eventsNow,
		StartDate: f.endDate.AddDays(-30), EndDate: f.endDate.AddDays(300)}
	o := Order{ID: newID(), ResellerID: c.ResellerID, EnrollmentID: enr.ID, Number: "ORD-1", Status: licensing.OrderProcessed,
		PurchaseDate: f.endDate, UsageStartDate: f.endDate, IdempotencyKey: "k", CreatedAt: eventsNow, ProcessedAt: &f.processedAt}
	placed := Order{ID: newID(), ResellerID: c.ResellerID, EnrollmentID: enr.ID, Number: "ORD-2", Status: licensing.OrderPlaced,
		PurchaseDate: f.endDate, UsageStartDate: f.endDate, IdempotencyKey: "k2", CreatedAt: eventsNow}
	early := f.reservedAt.Add(time.Hour)
	pending := Reservation{ID: newID(), ResellerID: c.ResellerID, EnrollmentID: enr.ID, SKU: "O365-E3", Quantity: 3, Status: licensing.ReservationPending,
		ReservedAt: f.reservedAt, BillingDate: f.endDate, IdempotencyKey: "r1"}
	inTime := Reservation{ID: newID(), ResellerID: c.ResellerID, EnrollmentID: enr.ID, SKU: "O365-E3", Quantity: 3, Status: licensing.ReservationEffective,
		ReservedAt: f.reservedAt, ProcessedAt: &early, BillingDate: f.endDate, IdempotencyKey: "r2"}
	from := eventsNow.Add(-time.Hour)
	graced := Subscription{ID: newID(), ResellerID: c.ResellerID, EnrollmentID: &enr.ID, Program: licensing.ProgramEnterprise, SKU: "O365-E3",
		EndDate: f.endDate.AddDays(300), GraceFrom: &from, GraceUntil: &f.graceUntil, CreatedAt: eventsNow, UpdatedAt: eventsNow}
	ending := Subscription{ID: newID(), ResellerID: c.ResellerID, EnrollmentID: &enr.ID, Program: licensing.ProgramEnterprise, SKU: "O365-E5",
		EndDate: f.endDate, CreatedAt: eventsNow, UpdatedAt: eventsNow}
	renewing := Subscription{ID: newID(), ResellerID: c.ResellerID, EnrollmentID: &enr.ID, Program: licensing.ProgramEnterprise, SKU: "EMS-E3",
		EndDate: f.endDate, AutoRenew: true, CreatedAt: eventsNow, UpdatedAt: eventsNow}
	for _, row := range []any{&enr, &o, &placed, &OrderLine{ID: newID(), ResellerID: c.ResellerID, OrderID: o.ID, LineNo: 1, SKU: "O365-E3", Quantity: 7},
		&pending, &inTime, &graced, &ending, &renewing} {
		if err := s.db.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	f.order, f.pending, f.inTime, f.graced, f.ending, f.renewing = o.ID, pending.ID, inTime.ID, graced.ID, ending.ID, renewing.ID
	return f
}

func TestTimeDrivenEventsAreRecordedOnceAtTheirInstant(t *testing.T) {
	ctx := context.Background()
	twoTestStores(t, func(t *testing.T, a, b *Store) {
		c := eventsReseller(t, a, "R")
		f := seedDue(t, a, c)
		// The first run starts the watermark; nothing is due yet.
		if n, err := a.RecordDueEvents(ctx, eventsNow); err != nil || n != 0 {
			t.Fatalf("first run recorded %d: %v", n, err)
		}
		want := map[Topic]time.Time{
			TopicLicensesAvailable:         licensing.PendingUntil(f.processedAt), // R-ORD-5
			TopicReservationOverdue:        licensing.OverdueAt(f.reservedAt),     // R-RES-4
			TopicSubscriptionDeprovisioned: f.graceUntil,                          // R-SUB-3
			TopicSubscriptionExpired:       f.endDate.AddDays(1).Start(),          // R-SUB-5
		}
		// Two replicas run the scheduler at the same instants, at once, every 20 minutes
		// past every instant: each event is recorded once, by one of them.
		total := 0
		for at := eventsNow.Add(20 * time.Minute); at.Before(eventsNow.Add(30 * time.Hour)); at = at.Add(20 * time.Minute) {
			var wg sync.WaitGroup
			counts := make([]int, 2)
			for i, s := range []*Store{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := s.RecordDueEvents(ctx, at)
					if err != nil {
						t.Errorf("at %s: %v", at, err)
					}
					counts[i] = n
				}()
			}
			wg.Wait()
			total += counts[0] + counts[1]
			for _, e := range allEvents(t, a) {
				if e.OccurredAt.After(at) {
					t.Fatalf("at %s: %s recorded early, due %s", at, e.Topic, e.OccurredAt)
				}
			}
		}
		evs := allEvents(t, a)
		if len(evs) != len(want) || total != len(want) {
			t.Fatalf("recorded %d events (%d counted), want %d: %+v", len(evs), total, len(want), evs)
		}
		for _, e := range evs {
			at, ok := want[e.Topic]
			if !ok || !e.OccurredAt.Equal(at) || e.ResellerID != c.ResellerID {
				t.Errorf("%s at %s, want at %s", e.Topic, e.OccurredAt, at)
			}
			delete(want, e.Topic)
		}
		var avail LicensesAvailableData
		var sub SubscriptionData
		for _, e := range evs {
			switch e.Topic {
			case TopicLicensesAvailable:
				_ = json.Unmarshal([]byte(e.Payload), &avail)
			case TopicSubscriptionExpired:
				_ = json.Unmarshal([]byte(e.Payload), &sub)
			}
		}
		if avail.Order != GlobalID("Order", f.order) || avail.EnrollmentNumber != "E-1" || len(avail.Lines) != 1 || avail.Lines[0].Quantity != 7 {
			t.Errorf("licenses.available data: %+v", avail)
		}
		if sub.Subscription != GlobalID("Subscription", f.ending) || sub.Status != "EXPIRED" || sub.Cause != ExpiredEndOfTerm {
			t.Errorf("subscription.expired data: %+v", sub)
		}
	})
}

func TestDueEventsRescanWritesNothingTwice(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		c := eventsReseller(t, s, "R")
		seedDue(t, s, c)
		if _, err := s.RecordDueEvents(ctx, eventsNow); err != nil {
			t.Fatal(err)
		}
		late := eventsNow.Add(40 * time.Hour)
		if n, err := s.RecordDueEvents(ctx, late); err != nil || n != 4 {
			t.Fatalf("recorded %d: %v", n, err)
		}
		// The watermark went back (a second run at the same instant rescans the lookback).
		if err := s.db.Model(&EventCounter{}).Where("name = ?", counterDueEvents).Update("done_until", eventsNow).Error; err != nil {
			t.Fatal(err)
		}
		if n, err := s.RecordDueEvents(ctx, late); err != nil || n != 0 || len(allEvents(t, s)) != 4 {
			t.Fatalf("a rescan recorded %d more (%d in all): %v", n, len(allEvents(t, s)), err)
		}
	})
}

// Auto-renew turned off just after a term's end expires the subscription then (R-SUB-5): the
// change records subscription.expired, and the scheduler, whose next scan covers the term's end,
// does not record it again. Turned on and off again, the term expires a second time.
func TestTermEndedByAChangeIsRecordedOnce(t *testing.T) {
	ctx := context.Background()
	eachTestStore(t, func(t *testing.T, s *Store) {
		c := eventsReseller(t, s, "R")
		f := seedDue(t, s, c)
		if _, err := s.RecordDueEvents(ctx, eventsNow); err != nil {
			t.Fatal(err)
		}
		end := f.endDate.AddDays(1).Start()
		expired := func() int {
			n := 0
			for _, e := range allEvents(t, s) {
				var d SubscriptionData
				_ = json.Unmarshal([]byte(e.Payload), &d)
				if e.Topic == TopicSubscriptionExpired && d.Subscription == GlobalID("Subscription", f.renewing) {
					n++
				}
			}
			return n
		}
		setAutoRenew := func(on bool, at time.Time) {
			t.Helper()
			if _, err := s.SetAutoRenew(ctx, c, f.renewing, on, at); err != nil {
				t.Fatal(err)
			}
		}
		setAutoRenew(false, end.Add(2*time.Minute))
		if n := expired(); n != 1 {
			t.Fatalf("after auto-renew off past the end: %d subscription.expired, want 1", n)
		}
		if _, err := s.RecordDueEvents(ctx, end.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := expired(); n != 1 {
			t.Fatalf("after the scheduler scanned the term's end: %d subscription.expired, want 1", n)
		}
		setAutoRenew(true, end.Add(6*time.Minute))
		setAutoRenew(false, end.Add(7*time.Minute))
		if _, err := s.RecordDueEvents(ctx, end.Add(8*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := expired(); n != 2 {
			t.Fatalf("after auto-renew on and off again: %d subscription.expired, want 2", n)
		}
	})
}

// A global ID allocates only its string: a list page maps about a thousand of them.
func TestGlobalIDAllocatesOnce(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = GlobalID("Subscription", 253315140049579059) }); n != 1 {
		t.Fatalf("GlobalID allocates %v times, want 1", n)
	}
}
