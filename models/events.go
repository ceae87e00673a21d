package models

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Events are the outbox of what a partner cares about (issue 13): each is written by the
// transaction that makes the change (RecordEvent, on the Store that InTx passes), or by the
// scheduler at the instant a time-driven one falls due (RecordDueEvents). A reseller reads its
// own in order through the events connection, and webhooks deliver them.

// Topic names what happened. The webhook payload's "topic" is the topic itself; the payload's
// "data" is the struct named with each constant, as JSON.
type Topic string

const (
	TopicOrderCreated   Topic = "order.created"   // OrderData: an order was placed (R-ORD-1)
	TopicOrderProcessed Topic = "order.processed" // OrderData: invoiced, its quantities added; licenses pending 12h (R-ORD-5)
	TopicOrderCancelled Topic = "order.cancelled" // OrderData: cancelled before processing
	// LicensesAvailableData: a processed order's licenses stopped being pending, 12 hours after
	// processing (R-ORD-5). Time-driven.
	TopicLicensesAvailable Topic = "licenses.available"
	// ReservationData: a reservation still PENDING 25 hours after it was made (R-RES-4). Time-driven.
	TopicReservationOverdue      Topic = "reservation.overdue"
	TopicActivationEmailSent     Topic = "activation_email.sent"     // ActivationEmailData: the mail server accepted it (R-ACT-1)
	TopicActivationEmailBounced  Topic = "activation_email.bounced"  // ActivationEmailData: the mail server refused it for good
	TopicEnrollmentActivated     Topic = "enrollment.activated"      // EnrollmentAccountData: onto an account by a person: link, product key (R-ACT-13), support remap (R-ENR-4)
	TopicEnrollmentProvisioned   Topic = "enrollment.provisioned"    // EnrollmentAccountData: onto an account automatically (AssociationCause.Automatic: R-ACT-2, R-ACT-10, R-ENR-5)
	TopicLicenseConflictOpened   Topic = "license_conflict.opened"   // LicenseConflictData: an account's SKU has more assigned users than licenses (R-LIC-2)
	TopicLicenseConflictResolved Topic = "license_conflict.resolved" // LicenseConflictData: that conflict is gone
	TopicSubscriptionInGrace     Topic = "subscription.in_grace"     // SubscriptionData: its enrollment was renewed (R-SUB-2)
	// SubscriptionData: the grace period ended; its data is deleted (R-SUB-3). Time-driven.
	TopicSubscriptionDeprovisioned Topic = "subscription.deprovisioned"
	// SubscriptionData: past its end date with auto-renew off (time-driven, cause END_OF_TERM,
	// R-SUB-5), or cancelled (cause CANCELLED, R-SUB-6).
	TopicSubscriptionExpired Topic = "subscription.expired"
	TopicSubscriptionRenewed Topic = "subscription.renewed" // SubscriptionData: a new term (R-SUB-5)
	TopicProductKeyRedeemed  Topic = "product_key.redeemed" // ProductKeyData: an Open Value key booked onto an account (R-ACT-13); never the key itself
	TopicWebhookTest         Topic = "webhook.test"         // TestData: sendTestWebhook only; never listed, never recorded by a change
)

// Topics lists every topic a change or the scheduler records, in the order of the schema's enum.
var Topics = []Topic{
	TopicOrderCreated, TopicOrderProcessed, TopicOrderCancelled, TopicLicensesAvailable, TopicReservationOverdue,
	TopicActivationEmailSent, TopicActivationEmailBounced, TopicEnrollmentActivated, TopicEnrollmentProvisioned,
	TopicLicenseConflictOpened, TopicLicenseConflictResolved, TopicSubscriptionInGrace, TopicSubscriptionDeprovisioned,
	TopicSubscriptionExpired, TopicSubscriptionRenewed, TopicProductKeyRedeemed,
}

// Valid tells a topic a change or the scheduler may record (not webhook.test).
func (t Topic) Valid() bool { return slices.Contains(Topics, t) }

// MaxEventPayload bounds an event's JSON data, in bytes: the data names objects by their ids
// and carries the few fields a partner needs, never lists that grow with the data.
const MaxEventPayload = 16 << 10

// GlobalID is the API's global ID of an object: base64url("Type:id"). Resolvers and events'
// data both make them here, so that an event names objects exactly as the API does. A page maps
// an ID for each of its objects (a list page about a thousand): built on the stack, it allocates
// once, for the string.
func GlobalID(typ string, id int64) string {
	var raw [64]byte // "Type:id" for every type of the schema; a longer one grows onto the heap
	return base64URL(strconv.AppendInt(append(append(raw[:0], typ...), ':'), id, 10))
}

// base64URL is base64url(raw) without padding, allocating only the string.
func base64URL(raw []byte) string {
	var buf [96]byte
	n := base64.RawURLEncoding.EncodedLen(len(raw))
	dst := buf[:0]
	if n <= len(buf) {
		dst = buf[:n]
	} else {
		dst = make([]byte, n)
	}
	base64.RawURLEncoding.Encode(dst, raw)
	return string(dst)
}

func optionalGlobalID(typ string, id *int64) *string {
	if id == nil {
		return nil
	}
	g := GlobalID(typ, *id)
	return &g
}

// Event is one recorded event.
type Event struct {
	ID         int64
	ResellerID int64
	Topic      Topic
	OccurredAt time.Time // the business instant: when it happened or fell due
	Payload    string    // the data, a JSON object
	DedupKey   *string   // time-driven events: topic, object and instant (recorded once)
	Seq        *int64    // the reading order, given after commit (SequenceEvents); 0: never listed
	CreatedAt  time.Time
	// Data, when Payload is empty, is marshalled into it by RecordEvent.
	Data any `gorm:"-"`
}

// EventCounter is a named counter of event_counters (the last seq given, the scheduler's watermark).
type EventCounter struct {
	Name      string `gorm:"primaryKey"`
	LastSeq   int64
	DoneUntil *time.Time
}

const (
	counterSeq       = "events"
	counterDueEvents = "due_events"
)

// RecordEvent writes an event. Call it on the Store that InTx passes, in the transaction of the
// change it reports, so that the event exists if and only if the change does. ID and CreatedAt
// are filled in; OccurredAt defaults to now.
func (s *Store) RecordEvent(ctx context.Context, e Event) error {
	_, err := s.recordEvent(ctx, &e)
	return err
}

// recordEvent writes e; false when an event with its dedup key exists (nothing written).
func (s *Store) recordEvent(ctx context.Context, e *Event) (bool, error) {
	if e.ResellerID == 0 {
		return false, errors.New("record event: no reseller")
	}
	if !e.Topic.Valid() && e.Topic != TopicWebhookTest {
		return false, fmt.Errorf("record event: unknown topic %q", e.Topic)
	}
	if e.Payload == "" {
		data := e.Data
		if data == nil {
			data = struct{}{}
		}
		b, err := json.Marshal(data)
		if err != nil {
			return false, fmt.Errorf("record event %s: %w", e.Topic, err)
		}
		e.Payload = string(b)
	}
	if len(e.Payload) > MaxEventPayload || !json.Valid([]byte(e.Payload)) || e.Payload[0] != '{' {
		return false, fmt.Errorf("record event %s: the data must be a JSON object of at most %d bytes", e.Topic, MaxEventPayload)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if e.OccurredAt.IsZero() {
		e.OccurredAt = now
	}
	e.ID, e.CreatedAt, e.OccurredAt = newID(), now, e.OccurredAt.UTC().Truncate(time.Microsecond)
	// A plain insert, its duplicate told by the error: the engines disagree on the rows an
	// ignored conflict affects (MariaDB counts it).
	err := s.ctx(ctx).Create(e).Error
	if e.DedupKey != nil && err != nil && isDuplicate(err) {
		return false, nil
	}
	return err == nil, err
}

// EventFilter narrows the events connection.
type EventFilter struct {
	Topics []Topic // none: every topic
}

// Events lists the caller's events in reading order (seq), after the seq p.After. Events not
// yet sequenced are not listed yet: they appear, after every event listed before them, within
// a sequencer interval.
func (s *Store) Events(ctx context.Context, c Caller, f EventFilter, p Page) (*List[Event], error) {
	q := c.scope(s.ctx(ctx).Model(&Event{})).Where("seq > ?", max(p.After, 0))
	if len(f.Topics) > 0 {
		q = q.Where("topic IN ?", f.Topics)
	}
	var items []Event
	if err := q.Order("seq").Limit(p.First + 1).Find(&items).Error; err != nil {
		return nil, err
	}
	out := &List[Event]{}
	if len(items) > p.First {
		out.HasNext, items = true, items[:p.First]
	}
	out.Items = items
	return out, nil
}

// EventsByID loads the caller's events with these ids.
func (s *Store) EventsByID(ctx context.Context, c Caller, ids []int64) ([]Event, error) {
	var out []Event
	return out, c.scope(s.ctx(ctx)).Where("id IN ?", ids).Find(&out).Error
}

// SequenceEvents gives the next seq numbers to up to limit committed events that have none, in
// id order, and queues a delivery of each to every enabled endpoint of its reseller that takes
// its topic. The sequencers of all replicas take turns through the lock on the 'events'
// counter (on a Galera cluster the loser's commit fails certification and InTx runs it again),
// so seq numbers are given once and in the order their events became visible: a reader
// resuming after a seq misses nothing that committed late. It returns how many it sequenced.
func (s *Store) SequenceEvents(ctx context.Context, now time.Time, limit int) (int, error) {
	if err := s.ensureCounter(ctx, counterSeq); err != nil {
		return 0, err
	}
	n := 0
	err := s.InTx(ctx, func(tx *Store) error {
		var ctr EventCounter
		if err := tx.ctx(ctx).Clauses(lockForUpdate).Where("name = ?", counterSeq).Take(&ctr).Error; err != nil {
			return err
		}
		var due []Event
		if err := tx.ctx(ctx).Where("seq IS NULL").Order("id").Limit(limit).Find(&due).Error; err != nil || len(due) == 0 {
			return err
		}
		for i := range due {
			ctr.LastSeq++
			seq := ctr.LastSeq
			due[i].Seq = &seq
			if err := tx.ctx(ctx).Model(&Event{}).Where("id = ? AND seq IS NULL", due[i].ID).Update("seq", seq).Error; err != nil {
				return err
			}
		}
		if err := tx.ctx(ctx).Model(&EventCounter{}).Where("name = ?", counterSeq).Update("last_seq", ctr.LastSeq).Error; err != nil {
			return err
		}
		n = len(due)
		return tx.queueDeliveries(ctx, due, now)
	})
	return n, err
}

// ensureCounter makes the named counter row if it is missing.
func (s *Store) ensureCounter(ctx context.Context, name string) error {
	return s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&EventCounter{Name: name}).Error
}

// queueDeliveries queues each event to the enabled endpoints of its reseller that take its topic.
func (s *Store) queueDeliveries(ctx context.Context, events []Event, now time.Time) error {
	var resellers []int64
	for _, e := range events {
		if !slices.Contains(resellers, e.ResellerID) {
			resellers = append(resellers, e.ResellerID)
		}
	}
	var endpoints []WebhookEndpoint
	if err := s.ctx(ctx).Where("reseller_id IN ? AND status = ?", resellers, WebhookEnabled).Order("id").Find(&endpoints).Error; err != nil {
		return err
	}
	var out []WebhookDelivery
	for _, e := range events {
		for _, ep := range endpoints {
			if ep.ResellerID == e.ResellerID && slices.Contains(ep.TopicList(), e.Topic) {
				out = append(out, newDelivery(ep, e, DeliveryEvent, now))
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return s.ctx(ctx).CreateInBatches(out, 200).Error
}

// eventOf loads one event, whatever its reseller (the delivery worker acts as the platform).
func (s *Store) eventOf(ctx context.Context, id int64) (*Event, error) {
	var e Event
	if err := s.ctx(ctx).Where("id = ?", id).Take(&e).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	return &e, nil
}
