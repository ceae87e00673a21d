package models

import (
	"context"
	"fmt"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Time-driven events fall due at an instant no request marks: licenses available 12 hours
// after processing (R-ORD-5), a reservation overdue 25 hours after it was made (R-RES-4), a
// grace period's end (R-SUB-3) and a term's end with auto-renew off (R-SUB-5). The scheduler
// (RecordDueEvents, run by every replica) records the events whose instants passed since its
// watermark, each exactly once: its dedup key (topic, object, instant) is unique per reseller,
// so a second replica, or a rescan, writes nothing.

// DueEventsLookback is how far before its watermark each scan starts again, so that an instant
// written just behind it (a transaction that took its time to commit, a replica's clock a
// little behind) is still found; the dedup key makes the rescan free of duplicates. A first run
// starts this far before its now: instants further in the past are history, not news.
const DueEventsLookback = 10 * time.Minute

const dueEventsPage = 500

// RecordDueEvents records the time-driven events whose instants lie in (watermark-lookback,
// now], then moves the watermark to now. It returns how many events it recorded (not those
// another replica recorded first).
func (s *Store) RecordDueEvents(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	first := now.Add(-DueEventsLookback)
	if err := s.ctx(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&EventCounter{Name: counterDueEvents, DoneUntil: &first}).Error; err != nil {
		return 0, err
	}
	var ctr EventCounter
	if err := s.ctx(ctx).Where("name = ?", counterDueEvents).Take(&ctr).Error; err != nil {
		return 0, err
	}
	from := first
	if ctr.DoneUntil != nil {
		from = ctr.DoneUntil.UTC().Add(-DueEventsLookback)
	}
	if !now.After(from) {
		return 0, nil
	}
	total := 0
	for _, scan := range []func(context.Context, time.Time, time.Time) (int, error){
		s.dueLicensesAvailable, s.dueReservationsOverdue, s.dueDeprovisioned, s.dueExpired,
	} {
		n, err := scan(ctx, from, now)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, s.ctx(ctx).Model(&EventCounter{}).Where("name = ? AND (done_until IS NULL OR done_until < ?)", counterDueEvents, now).
		Update("done_until", now).Error
}

// recordDue records one time-driven event unless it exists; true when this call wrote it.
func (s *Store) recordDue(ctx context.Context, resellerID int64, topic Topic, typ string, id int64, at time.Time, data any) (bool, error) {
	at = at.UTC().Truncate(time.Microsecond)
	key := dueKey(topic, typ, id, at)
	return s.recordEvent(ctx, &Event{ResellerID: resellerID, Topic: topic, OccurredAt: at, DedupKey: &key, Data: data})
}

// dueKey names a time-driven event: its topic, object and instant.
func dueKey(topic Topic, typ string, id int64, at time.Time) string {
	return fmt.Sprintf("%s:%s:%d:%d", topic, typ, id, at.UTC().Truncate(time.Microsecond).UnixMicro())
}

// termEnd is the instant a subscription's term ends: the start of the day after its end date.
func termEnd(sub *Subscription) time.Time { return sub.EndDate.AddDays(1).Start() }

// scanInstants pages through the rows whose col lies in (lo, hi], in (col, id) order, handing
// each page to each.
func scanInstants[T any](ctx context.Context, s *Store, where func(*gorm.DB) *gorm.DB, col string, lo, hi time.Time,
	key func(*T) (time.Time, int64), each func([]T) (int, error)) (int, error) {
	total, at, id, started := 0, lo, int64(0), false
	for {
		q := where(s.ctx(ctx)).Where(col+" <= ?", hi)
		if started {
			q = q.Where("("+col+" > ? OR ("+col+" = ? AND id > ?))", at, at, id)
		} else {
			q = q.Where(col+" > ?", lo)
		}
		var rows []T
		if err := q.Order(col + ", id").Limit(dueEventsPage).Find(&rows).Error; err != nil {
			return total, err
		}
		if len(rows) == 0 {
			return total, nil
		}
		n, err := each(rows)
		total += n
		if err != nil || len(rows) < dueEventsPage {
			return total, err
		}
		at, id = key(&rows[len(rows)-1])
		started = true
	}
}

// enrollmentsOf loads the number and account of enrollments by id.
func (s *Store) enrollmentsOf(ctx context.Context, ids []int64) (map[int64]Enrollment, error) {
	out := map[int64]Enrollment{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Enrollment
	if err := s.ctx(ctx).Select("id", "number", "account_id").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, e := range rows {
		out[e.ID] = e
	}
	return out, nil
}

// dueLicensesAvailable: orders processed 12 hours before an instant of the window (R-ORD-5).
func (s *Store) dueLicensesAvailable(ctx context.Context, from, to time.Time) (int, error) {
	where := func(q *gorm.DB) *gorm.DB { return q.Where("status = ?", licensing.OrderProcessed) }
	key := func(o *Order) (time.Time, int64) { return *o.ProcessedAt, o.ID }
	return scanInstants(ctx, s, where, "processed_at", from.Add(-licensing.OrderPendingPeriod), to.Add(-licensing.OrderPendingPeriod), key,
		func(orders []Order) (int, error) {
			ids, enrollments := make([]int64, len(orders)), make([]int64, len(orders))
			for i, o := range orders {
				ids[i], enrollments[i] = o.ID, o.EnrollmentID
			}
			var lines []OrderLine
			if err := s.ctx(ctx).Where("order_id IN ?", ids).Order("order_id, line_no").Find(&lines).Error; err != nil {
				return 0, err
			}
			enrs, err := s.enrollmentsOf(ctx, enrollments)
			if err != nil {
				return 0, err
			}
			n := 0
			for _, o := range orders {
				var own []OrderLine
				for _, l := range lines {
					if l.OrderID == o.ID {
						own = append(own, l)
					}
				}
				at := licensing.PendingUntil(o.ProcessedAt.UTC())
				ok, err := s.recordDue(ctx, o.ResellerID, TopicLicensesAvailable, "Order", o.ID, at, LicensesAvailableData{
					Order: GlobalID("Order", o.ID), Number: o.Number, Enrollment: GlobalID("Enrollment", o.EnrollmentID),
					EnrollmentNumber: enrs[o.EnrollmentID].Number, Lines: lineData(own), ProcessedAt: o.ProcessedAt.UTC(), AvailableAt: at})
				if err != nil {
					return n, err
				}
				if ok {
					n++
				}
				// Licenses that stop being pending may cover users in conflict (R-ORD-5, R-LIC-2).
				k, err := s.recordDueConflicts(ctx, o.ResellerID, enrs[o.EnrollmentID].AccountID, at)
				if n += k; err != nil {
					return n, err
				}
			}
			return n, nil
		})
}

// dueReservationsOverdue: reservations made 25 hours before an instant of the window and still
// pending at it (R-RES-4).
func (s *Store) dueReservationsOverdue(ctx context.Context, from, to time.Time) (int, error) {
	where := func(q *gorm.DB) *gorm.DB { return q }
	key := func(r *Reservation) (time.Time, int64) { return r.ReservedAt, r.ID }
	return scanInstants(ctx, s, where, "reserved_at", from.Add(-licensing.ReservationOverdueAfter), to.Add(-licensing.ReservationOverdueAfter), key,
		func(rs []Reservation) (int, error) {
			var enrollments []int64
			for _, r := range rs {
				enrollments = append(enrollments, r.EnrollmentID)
			}
			enrs, err := s.enrollmentsOf(ctx, enrollments)
			if err != nil {
				return 0, err
			}
			n := 0
			for _, r := range rs {
				at := licensing.OverdueAt(r.ReservedAt.UTC())
				if r.ProcessedAt != nil && !r.ProcessedAt.After(at) {
					continue // processed in time
				}
				ok, err := s.recordDue(ctx, r.ResellerID, TopicReservationOverdue, "Reservation", r.ID, at, ReservationData{
					Reservation: GlobalID("Reservation", r.ID), Enrollment: GlobalID("Enrollment", r.EnrollmentID),
					EnrollmentNumber: enrs[r.EnrollmentID].Number, SKU: r.SKU, Quantity: r.Quantity, ReservedAt: r.ReservedAt.UTC(), OverdueAt: at})
				if err != nil {
					return n, err
				}
				if ok {
					n++
				}
			}
			return n, nil
		})
}

// recordSubscriptionDue records a subscription's time-driven event at its instant (at says
// whether it has one in the window), and the conflicts it opens or resolves on its account.
func (s *Store) recordSubscriptionDue(ctx context.Context, subs []Subscription, topic Topic, cause string, at func(*Subscription) (time.Time, bool)) (int, error) {
	var enrollments []int64
	for _, sub := range subs {
		if sub.EnrollmentID != nil {
			enrollments = append(enrollments, *sub.EnrollmentID)
		}
	}
	enrs, err := s.enrollmentsOf(ctx, enrollments)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range subs {
		sub := &subs[i]
		instant, ok := at(sub)
		if !ok {
			continue
		}
		number, account := "", sub.DirectAccountID
		if sub.EnrollmentID != nil {
			number, account = enrs[*sub.EnrollmentID].Number, enrs[*sub.EnrollmentID].AccountID
		}
		wrote, err := s.recordDue(ctx, sub.ResellerID, topic, "Subscription", sub.ID, instant,
			NewSubscriptionData(sub, sub.Term().StatusAt(instant), cause, number))
		if err != nil {
			return n, err
		}
		if wrote {
			n++
		}
		// An expiry opens conflicts of the users it covered (R-LIC-3); the end of a grace
		// period, of those a renewal onto other SKUs left uncovered (R-SUB-4).
		k, err := s.recordDueConflicts(ctx, sub.ResellerID, account, instant)
		if n += k; err != nil {
			return n, err
		}
	}
	return n, nil
}

// dueDeprovisioned: subscriptions whose grace period ended in the window (R-SUB-3), unless they
// had stopped before (a cancellation).
func (s *Store) dueDeprovisioned(ctx context.Context, from, to time.Time) (int, error) {
	where := func(q *gorm.DB) *gorm.DB { return q }
	key := func(sub *Subscription) (time.Time, int64) { return *sub.GraceUntil, sub.ID }
	return scanInstants(ctx, s, where, "grace_until", from, to, key, func(subs []Subscription) (int, error) {
		return s.recordSubscriptionDue(ctx, subs, TopicSubscriptionDeprovisioned, "", func(sub *Subscription) (time.Time, bool) {
			at := sub.GraceUntil.UTC()
			return at, sub.Term().StatusAt(at) == licensing.SubscriptionDeprovisioned &&
				sub.Term().StatusAt(at.Add(-time.Microsecond)) == licensing.SubscriptionInGrace
		})
	})
}

// dueExpired: subscriptions whose term ended in the window with auto-renew off (R-SUB-5): ACTIVE
// just before the day after their end date, EXPIRED from its start.
func (s *Store) dueExpired(ctx context.Context, from, to time.Time) (int, error) {
	lo, hi := licensing.DateOf(from).AddDays(-1), licensing.DateOf(to).AddDays(-1)
	n, after := 0, int64(0)
	for {
		var subs []Subscription
		err := s.ctx(ctx).Where("auto_renew = ? AND end_date >= ? AND end_date <= ? AND id > ?", false, lo, hi, after).
			Order("id").Limit(dueEventsPage).Find(&subs).Error
		if err != nil || len(subs) == 0 {
			return n, err
		}
		k, err := s.recordSubscriptionDue(ctx, subs, TopicSubscriptionExpired, ExpiredEndOfTerm, func(sub *Subscription) (time.Time, bool) {
			at := termEnd(sub)
			return at, at.After(from) && !at.After(to) && sub.Term().StatusAt(at) == licensing.SubscriptionExpired &&
				sub.Term().StatusAt(at.Add(-time.Microsecond)) == licensing.SubscriptionActive
		})
		n += k
		if err != nil || len(subs) < dueEventsPage {
			return n, err
		}
		after = subs[len(subs)-1].ID
	}
}
