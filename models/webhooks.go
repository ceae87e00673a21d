package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Webhooks: a reseller's endpoints, each event's delivery to each endpoint that takes its topic,
// and every attempt. The worker (package webhooks) claims a due delivery with a lease
// (ClaimWebhookDelivery), posts it, and records the attempt (FinishWebhookAttempt).

// WebhookStatus is whether an endpoint receives deliveries.
type WebhookStatus string

const (
	WebhookEnabled  WebhookStatus = "ENABLED"
	WebhookDisabled WebhookStatus = "DISABLED"
)

// DeliveryKind tells why a delivery exists.
type DeliveryKind string

const (
	DeliveryEvent  DeliveryKind = "EVENT"  // an event of a topic the endpoint takes
	DeliveryReplay DeliveryKind = "REPLAY" // replayWebhookEvent
	DeliveryTest   DeliveryKind = "TEST"   // sendTestWebhook: one attempt, no retries
)

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "PENDING"   // to be attempted at next_attempt_at
	DeliveryDelivered DeliveryStatus = "DELIVERED" // the endpoint answered 2xx
	DeliveryFailed    DeliveryStatus = "FAILED"    // retries gave up, or the endpoint was disabled or deleted
)

// Bounds of endpoint inputs.
const (
	MaxWebhookEndpoints   = 20   // per reseller
	MaxWebhookURL         = 2000 // characters
	MaxWebhookDescription = 500  // characters
	MaxWebhookError       = 500  // characters of an attempt's error kept
	MaxSecretOverlap      = 7 * 24 * time.Hour
	// WebhookSecretPrefix starts every signing secret, so that logs can recognise and redact them.
	WebhookSecretPrefix = "whsec_"
)

// WebhookEndpoint is a URL of a reseller's that receives events.
type WebhookEndpoint struct {
	ID                  int64
	ResellerID          int64
	URL                 string `gorm:"column:url"`
	Description         string
	Topics              string // comma-separated
	Status              WebhookStatus
	Secret              string // signs deliveries; shown once, never logged
	PreviousSecret      *string
	PreviousSecretUntil *time.Time
	SecretRotatedAt     *time.Time
	DisabledAt          *time.Time
	DisabledReason      string
	FailingSince        *time.Time // the first failed attempt since the last success
	LastFailureAt       *time.Time
	LastFailure         string
	LastSuccessAt       *time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// TopicList returns the topics the endpoint takes.
func (e WebhookEndpoint) TopicList() []Topic {
	var out []Topic
	for _, t := range splitList(e.Topics) {
		out = append(out, Topic(t))
	}
	return out
}

// SigningSecrets are the secrets that sign a delivery at now: the current one, and the
// previous one while a rotation's overlap lasts.
func (e WebhookEndpoint) SigningSecrets(now time.Time) []string {
	out := []string{e.Secret}
	if e.PreviousSecret != nil && e.PreviousSecretUntil != nil && now.Before(*e.PreviousSecretUntil) {
		out = append(out, *e.PreviousSecret)
	}
	return out
}

// WebhookDelivery is one event to one endpoint.
type WebhookDelivery struct {
	ID             int64
	ResellerID     int64
	EndpointID     int64
	EventID        int64
	Topic          Topic
	Kind           DeliveryKind
	Status         DeliveryStatus
	Attempts       int
	NextAttemptAt  *time.Time
	ClaimedUntil   *time.Time
	ClaimID        *int64
	LastStatusCode *int
	LastError      string
	DeliveredAt    *time.Time
	CreatedAt      time.Time
}

// WebhookAttempt is one HTTP request of a delivery.
type WebhookAttempt struct {
	ID            int64
	ResellerID    int64
	DeliveryID    int64
	EndpointID    int64
	EventID       int64
	Attempt       int // 1 for the first
	StartedAt     time.Time
	DurationMS    int `gorm:"column:duration_ms"`
	StatusCode    *int
	Error         string
	Succeeded     bool
	NextAttemptAt *time.Time // nil: no retry follows
}

func newDelivery(ep WebhookEndpoint, e Event, kind DeliveryKind, now time.Time) WebhookDelivery {
	now = now.UTC().Truncate(time.Microsecond)
	return WebhookDelivery{ID: newID(), ResellerID: ep.ResellerID, EndpointID: ep.ID, EventID: e.ID, Topic: e.Topic, Kind: kind,
		Status: DeliveryPending, NextAttemptAt: &now, CreatedAt: now}
}

// newWebhookSecret makes a signing secret: the prefix and 256 random bits.
func newWebhookSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return WebhookSecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// WebhookEndpointDraft is the input of createWebhookEndpoint.
type WebhookEndpointDraft struct {
	URL         string
	Topics      []Topic
	Description string
}

// WebhookEndpointChange is the input of updateWebhookEndpoint: nil fields stay as they are.
type WebhookEndpointChange struct {
	URL         *string
	Topics      []Topic
	Description *string
}

func checkWebhookURL(ps *licensing.Problems, raw string) {
	if utf8.RuneCountInString(raw) > MaxWebhookURL {
		ps.Add(licensing.CodeTooLong, fmt.Sprintf("url is longer than %d characters", MaxWebhookURL), "url")
		return
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.Opaque != "":
		ps.Add(licensing.CodeInvalid, "url must be an absolute http or https URL, for example https://partner.example.com/hooks/licensing", "url")
	case u.User != nil:
		ps.Add(licensing.CodeInvalid, "url must not carry user:password@; the signature authenticates each delivery", "url")
	case u.Fragment != "":
		ps.Add(licensing.CodeInvalid, "url must not have a #fragment", "url")
	}
}

// normalTopics checks topics and returns them without repeats, in the order of Topics.
func normalTopics(ps *licensing.Problems, topics []Topic) string {
	if len(topics) == 0 {
		ps.Add(licensing.CodeRequired, "name at least one topic", "topics")
	}
	var out []string
	for _, t := range Topics {
		if slices.Contains(topics, t) {
			out = append(out, string(t))
		}
	}
	for i, t := range topics {
		if !t.Valid() {
			ps.Add(licensing.CodeUnknownValue, fmt.Sprintf("unknown topic %q", t), "topics", fmt.Sprint(i))
		}
	}
	return strings.Join(out, ",")
}

func checkDescription(ps *licensing.Problems, d string) {
	if utf8.RuneCountInString(d) > MaxWebhookDescription {
		ps.Add(licensing.CodeTooLong, fmt.Sprintf("description is longer than %d characters", MaxWebhookDescription), "description")
	}
}

// CreateWebhookEndpoint stores an ENABLED endpoint of the caller's reseller (operators name
// it) with a new signing secret, returned in Secret: the resolver shows it this once.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, c Caller, resellerID *int64, d WebhookEndpointDraft, now time.Time) (*WebhookEndpoint, error) {
	var ps licensing.Problems
	checkWebhookURL(&ps, d.URL)
	topics := normalTopics(&ps, d.Topics)
	checkDescription(&ps, d.Description)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	ep := WebhookEndpoint{ID: newID(), URL: strings.TrimSpace(d.URL), Description: strings.TrimSpace(d.Description), Topics: topics,
		Status: WebhookEnabled, Secret: newWebhookSecret(), CreatedAt: now, UpdatedAt: now}
	err := s.InTx(ctx, func(tx *Store) error {
		owner, err := tx.ownerFor(ctx, c, resellerID)
		if err != nil {
			return err
		}
		// The reseller's row serializes its endpoint creations, so the cap holds under races:
		// locked on this node, written (guard) for the others.
		var r Reseller
		if err := tx.ctx(ctx).Clauses(lockForUpdate).Where("id = ?", owner).Take(&r).Error; err != nil {
			return err
		}
		if err := tx.guard(ctx, guardReseller, r.ID); err != nil {
			return err
		}
		var n int64
		if err := tx.ctx(ctx).Model(&WebhookEndpoint{}).Where("reseller_id = ?", owner).Count(&n).Error; err != nil {
			return err
		}
		if n >= MaxWebhookEndpoints {
			return refuse(licensing.CodeInvalid, fmt.Sprintf("a reseller has at most %d webhook endpoints; delete one first", MaxWebhookEndpoints))
		}
		ep.ResellerID = owner
		return tx.ctx(ctx).Create(&ep).Error
	})
	return orNil(&ep, err)
}

// lockEndpoint loads one of the caller's endpoints for a write in tx.
func (s *Store) lockEndpoint(ctx context.Context, c Caller, id int64, field string) (*WebhookEndpoint, error) {
	var ep WebhookEndpoint
	if err := c.scope(s.ctx(ctx)).Clauses(lockForUpdate).Where("id = ?", id).Take(&ep).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, refuse(licensing.CodeNotFound, "no such webhook endpoint", field)
		}
		return nil, err
	}
	return &ep, nil
}

// changeEndpoint runs change on one of the caller's endpoints, locked, in one transaction.
func (s *Store) changeEndpoint(ctx context.Context, c Caller, id int64, change func(tx *Store, ep *WebhookEndpoint) error) (*WebhookEndpoint, error) {
	var ep *WebhookEndpoint
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if ep, err = tx.lockEndpoint(ctx, c, id, "endpoint"); err != nil {
			return err
		}
		return change(tx, ep)
	})
	return orNil(ep, err)
}

// UpdateWebhookEndpoint changes an endpoint's URL, topics or description. Deliveries already
// queued keep going to the endpoint, at its new URL.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, c Caller, id int64, ch WebhookEndpointChange, now time.Time) (*WebhookEndpoint, error) {
	var ps licensing.Problems
	upd := map[string]any{"updated_at": now.UTC()}
	if ch.URL != nil {
		checkWebhookURL(&ps, *ch.URL)
		upd["url"] = strings.TrimSpace(*ch.URL)
	}
	if ch.Topics != nil {
		upd["topics"] = normalTopics(&ps, ch.Topics)
	}
	if ch.Description != nil {
		checkDescription(&ps, *ch.Description)
		upd["description"] = strings.TrimSpace(*ch.Description)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return s.changeEndpoint(ctx, c, id, func(tx *Store, ep *WebhookEndpoint) error {
		if err := tx.ctx(ctx).Model(ep).Updates(upd).Error; err != nil {
			return err
		}
		return tx.ctx(ctx).Where("id = ?", ep.ID).Take(ep).Error
	})
}

// SetWebhookEndpointEnabled enables or disables an endpoint. Disabling fails the deliveries
// still pending (the events connection, or replayWebhookEvent, recovers them); enabling starts
// it afresh: healthy, for events recorded from then on.
func (s *Store) SetWebhookEndpointEnabled(ctx context.Context, c Caller, id int64, enabled bool, now time.Time) (*WebhookEndpoint, error) {
	now = now.UTC()
	return s.changeEndpoint(ctx, c, id, func(tx *Store, ep *WebhookEndpoint) error {
		if enabled {
			if ep.Status == WebhookEnabled {
				return nil
			}
			ep.Status, ep.DisabledAt, ep.DisabledReason, ep.FailingSince, ep.UpdatedAt = WebhookEnabled, nil, "", nil, now
			return tx.ctx(ctx).Model(ep).Updates(map[string]any{"status": WebhookEnabled, "disabled_at": nil, "disabled_reason": "",
				"failing_since": nil, "updated_at": now}).Error
		}
		if ep.Status == WebhookDisabled {
			return nil
		}
		return tx.disableEndpoint(ctx, ep, "disabled through the API", now)
	})
}

// disableEndpoint disables ep in tx and fails its pending deliveries.
func (s *Store) disableEndpoint(ctx context.Context, ep *WebhookEndpoint, reason string, now time.Time) error {
	reason = cut(reason, MaxWebhookError)
	ep.Status, ep.DisabledAt, ep.DisabledReason, ep.UpdatedAt = WebhookDisabled, &now, reason, now
	if err := s.ctx(ctx).Model(ep).Updates(map[string]any{"status": WebhookDisabled, "disabled_at": now, "disabled_reason": reason, "updated_at": now}).Error; err != nil {
		return err
	}
	return s.ctx(ctx).Model(&WebhookDelivery{}).Where("reseller_id = ? AND endpoint_id = ? AND status = ?", ep.ResellerID, ep.ID, DeliveryPending).
		Updates(map[string]any{"status": DeliveryFailed, "next_attempt_at": nil, "claimed_until": nil, "claim_id": nil,
			"last_error": cut("endpoint disabled: "+reason, MaxWebhookError)}).Error
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// RotateWebhookSecret gives an endpoint a new signing secret, returned in Secret. For overlap
// (0 to 7 days) the old secret signs too, so that a receiver can switch without losing a
// delivery; a rotation during an overlap ends the earlier one.
func (s *Store) RotateWebhookSecret(ctx context.Context, c Caller, id int64, overlap time.Duration, now time.Time) (*WebhookEndpoint, error) {
	if overlap < 0 || overlap > MaxSecretOverlap {
		return nil, refuse(licensing.CodeInvalid, fmt.Sprintf("the overlap is between 0 and %d seconds", int(MaxSecretOverlap.Seconds())), "overlap")
	}
	now = now.UTC().Truncate(time.Microsecond)
	return s.changeEndpoint(ctx, c, id, func(tx *Store, ep *WebhookEndpoint) error {
		old, until := ep.Secret, now.Add(overlap)
		ep.Secret, ep.SecretRotatedAt, ep.UpdatedAt = newWebhookSecret(), &now, now
		ep.PreviousSecret, ep.PreviousSecretUntil = &old, &until
		if overlap == 0 {
			ep.PreviousSecret, ep.PreviousSecretUntil = nil, nil
		}
		return tx.ctx(ctx).Model(ep).Updates(map[string]any{"secret": ep.Secret, "previous_secret": ep.PreviousSecret,
			"previous_secret_until": ep.PreviousSecretUntil, "secret_rotated_at": now, "updated_at": now}).Error
	})
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries and attempts.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, c Caller, id int64) (*WebhookEndpoint, error) {
	return s.changeEndpoint(ctx, c, id, func(tx *Store, ep *WebhookEndpoint) error {
		where := "reseller_id = ? AND endpoint_id = ?"
		if err := tx.ctx(ctx).Where(where, ep.ResellerID, ep.ID).Delete(&WebhookAttempt{}).Error; err != nil {
			return err
		}
		if err := tx.ctx(ctx).Where(where, ep.ResellerID, ep.ID).Delete(&WebhookDelivery{}).Error; err != nil {
			return err
		}
		return tx.ctx(ctx).Delete(ep).Error
	})
}

// WebhookEndpoints lists the caller's endpoints, oldest first.
func (s *Store) WebhookEndpoints(ctx context.Context, c Caller, p Page) (*List[WebhookEndpoint], error) {
	return list[WebhookEndpoint](s, c.scope(s.ctx(ctx).Model(&WebhookEndpoint{})), p)
}

// WebhookEndpoint loads one of the caller's endpoints.
func (s *Store) WebhookEndpoint(ctx context.Context, c Caller, id int64) (*WebhookEndpoint, error) {
	return byID[WebhookEndpoint](ctx, s, c, id)
}

// DeliveryFilter narrows the deliveries listed.
type DeliveryFilter struct {
	EndpointID *int64
	EventID    *int64
	Status     *DeliveryStatus
}

// WebhookDeliveries lists the caller's deliveries, oldest first.
func (s *Store) WebhookDeliveries(ctx context.Context, c Caller, f DeliveryFilter, p Page) (*List[WebhookDelivery], error) {
	return filtered[WebhookDelivery](ctx, s, c, p, is("endpoint_id = ?", f.EndpointID), is("event_id = ?", f.EventID), is("status = ?", f.Status))
}

// AttemptFilter narrows the attempts listed.
type AttemptFilter struct {
	EndpointID *int64
	DeliveryID *int64
	EventID    *int64
}

// WebhookAttempts lists the caller's delivery attempts, oldest first.
func (s *Store) WebhookAttempts(ctx context.Context, c Caller, f AttemptFilter, p Page) (*List[WebhookAttempt], error) {
	return filtered[WebhookAttempt](ctx, s, c, p, is("endpoint_id = ?", f.EndpointID), is("delivery_id = ?", f.DeliveryID), is("event_id = ?", f.EventID))
}

// enabledEndpoint loads one of the caller's endpoints for a new delivery: it must be enabled.
func (s *Store) enabledEndpoint(ctx context.Context, c Caller, id int64) (*WebhookEndpoint, error) {
	ep, err := byID[WebhookEndpoint](ctx, s, c, id)
	if errors.Is(err, ErrNotFound) {
		return nil, refuse(licensing.CodeNotFound, "no such webhook endpoint", "endpoint")
	} else if err != nil {
		return nil, err
	}
	if ep.Status != WebhookEnabled {
		return nil, refuse(licensing.CodeInvalid, "the endpoint is disabled; enable it first", "endpoint")
	}
	return ep, nil
}

// ReplayWebhookEvent queues one of the caller's events to one of its endpoints again, whatever
// the endpoint's topics: a new delivery, with the event's own id for de-duplication.
func (s *Store) ReplayWebhookEvent(ctx context.Context, c Caller, endpointID, eventID int64, now time.Time) (*WebhookDelivery, error) {
	var d WebhookDelivery
	err := s.InTx(ctx, func(tx *Store) error {
		ep, err := tx.enabledEndpoint(ctx, c, endpointID)
		if err != nil {
			return err
		}
		e, err := tx.eventOf(ctx, eventID)
		if errors.Is(err, ErrNotFound) || (err == nil && e.ResellerID != ep.ResellerID) {
			return refuse(licensing.CodeNotFound, "no such event", "event")
		} else if err != nil {
			return err
		}
		d = newDelivery(*ep, *e, DeliveryReplay, now)
		return tx.ctx(ctx).Create(&d).Error
	})
	return orNil(&d, err)
}

// SendTestWebhook queues a webhook.test event to one of the caller's endpoints: one attempt,
// signed like any delivery. The event is never listed in the events connection.
func (s *Store) SendTestWebhook(ctx context.Context, c Caller, endpointID int64, now time.Time) (*WebhookDelivery, error) {
	var d WebhookDelivery
	err := s.InTx(ctx, func(tx *Store) error {
		ep, err := tx.enabledEndpoint(ctx, c, endpointID)
		if err != nil {
			return err
		}
		never := int64(0)
		e := Event{ResellerID: ep.ResellerID, Topic: TopicWebhookTest, OccurredAt: now, Seq: &never,
			Data: TestData{Endpoint: GlobalID("WebhookEndpoint", ep.ID), Message: "A test delivery from licensing-api; nothing changed."}}
		if _, err := tx.recordEvent(ctx, &e); err != nil {
			return err
		}
		d = newDelivery(*ep, e, DeliveryTest, now)
		return tx.ctx(ctx).Create(&d).Error
	})
	return orNil(&d, err)
}
