package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// The events of the write paths (issue 13): each is recorded by the transaction of the change
// it reports, on the Store that InTx passes, so it exists if and only if the change does; a
// refusal rolls back and records nothing. The call sites: orders.go (created, processed,
// cancelled), associate (enrollment activated or provisioned), RedeemProductKey, MarkEmailSent
// and MarkEmailBounced, renewal.go (in grace), subscriptions.go (renewed, expired), and the
// conflicts of every change that can open or resolve one (watchConflicts).

// enrollmentNumber is the number of one of a reseller's enrollments, for an event's data.
func (s *Store) enrollmentNumber(ctx context.Context, resellerID, id int64) (string, error) {
	var e Enrollment
	err := s.ctx(ctx).Select("number").Where("reseller_id = ? AND id = ?", resellerID, id).Take(&e).Error
	return e.Number, err
}

// recordOrder records an order event (order.created, .processed or .cancelled) with the
// order's lines as stored.
func (s *Store) recordOrder(ctx context.Context, topic Topic, o *Order, at time.Time) error {
	var lines []OrderLine
	if err := s.ctx(ctx).Where("reseller_id = ? AND order_id = ?", o.ResellerID, o.ID).Order("line_no").Find(&lines).Error; err != nil {
		return err
	}
	number, err := s.enrollmentNumber(ctx, o.ResellerID, o.EnrollmentID)
	if err != nil {
		return err
	}
	return s.RecordEvent(ctx, Event{ResellerID: o.ResellerID, Topic: topic, OccurredAt: at, Data: NewOrderData(o, number, lines)})
}

// recordAssociation records enrollment.activated (a person: link, product key, support remap)
// or enrollment.provisioned (automatically) for an enrollment just put on its account.
func (s *Store) recordAssociation(ctx context.Context, e *Enrollment, at time.Time) error {
	topic := TopicEnrollmentActivated
	if e.AssociationCause.Automatic() {
		topic = TopicEnrollmentProvisioned
	}
	return s.RecordEvent(ctx, Event{ResellerID: e.ResellerID, Topic: topic, OccurredAt: at, Data: NewEnrollmentAccountData(e)})
}

// recordSubscription records a subscription event: sub entered status, for cause.
func (s *Store) recordSubscription(ctx context.Context, topic Topic, sub *Subscription, status licensing.SubscriptionStatus, cause string, at time.Time) error {
	number := ""
	if sub.EnrollmentID != nil {
		var err error
		if number, err = s.enrollmentNumber(ctx, sub.ResellerID, *sub.EnrollmentID); err != nil {
			return err
		}
	}
	return s.RecordEvent(ctx, Event{ResellerID: sub.ResellerID, Topic: topic, OccurredAt: at, Data: NewSubscriptionData(sub, status, cause, number)})
}

// recordTermEnded records subscription.expired (END_OF_TERM) for a term that a change ended in
// the past (auto-renew turned off after the end date). The scheduler, rescanning a window this
// change fell in, would find the same expiry at the term's end (dueExpired): the event takes the
// scheduler's key so that it is recorded once. A later expiry of the same term (auto-renew on and
// off again) finds the key taken and is recorded without one.
func (s *Store) recordTermEnded(ctx context.Context, sub *Subscription, at time.Time) error {
	number := ""
	if sub.EnrollmentID != nil {
		var err error
		if number, err = s.enrollmentNumber(ctx, sub.ResellerID, *sub.EnrollmentID); err != nil {
			return err
		}
	}
	e := Event{ResellerID: sub.ResellerID, Topic: TopicSubscriptionExpired, OccurredAt: at,
		Data: NewSubscriptionData(sub, licensing.SubscriptionExpired, ExpiredEndOfTerm, number)}
	key := dueKey(TopicSubscriptionExpired, "Subscription", sub.ID, termEnd(sub))
	e.DedupKey = &key
	if wrote, err := s.recordEvent(ctx, &e); wrote || err != nil {
		return err
	}
	e.DedupKey, e.Payload = nil, ""
	return s.RecordEvent(ctx, e)
}

// recordTermChange records what a change of a subscription's term did to its status as of at
// (was: before the change): a term that ended with auto-renew off is subscription.expired
// (END_OF_TERM, R-SUB-5), an EXPIRED subscription ACTIVE again is subscription.renewed.
func (s *Store) recordTermChange(ctx context.Context, sub *Subscription, was licensing.SubscriptionStatus, at time.Time) error {
	switch is := sub.Term().StatusAt(at); {
	case was == licensing.SubscriptionActive && is == licensing.SubscriptionExpired:
		return s.recordTermEnded(ctx, sub, at)
	case was == licensing.SubscriptionExpired && is == licensing.SubscriptionActive:
		return s.recordSubscription(ctx, TopicSubscriptionRenewed, sub, is, "", at)
	}
	return nil
}

// recordInGrace records subscription.in_grace for each old subscription a renewal put in grace
// (R-SUB-2); subs are the old enrollment's subscriptions as read before.
func (s *Store) recordInGrace(ctx context.Context, subs []Subscription, plan licensing.RenewalPlan, at time.Time) error {
	for _, ch := range plan.Old {
		for _, sub := range subs {
			if sub.ID != ch.SubscriptionID {
				continue
			}
			sub.GraceFrom, sub.GraceUntil = ch.GraceFrom, ch.GraceUntil
			if err := s.recordSubscription(ctx, TopicSubscriptionInGrace, &sub, ch.Status, "", at); err != nil {
				return err
			}
		}
	}
	return nil
}

// conflictWatch holds the conflicts of the accounts a change may open or resolve them on,
// taken before the change writes (watchConflicts).
type conflictWatch struct {
	resellerID int64
	at         time.Time
	accounts   []int64
	before     []ConflictSnapshot
}

// watchConflicts takes, in a change's transaction and before it writes, the conflicts as of at
// of the accounts the change may open or resolve them on (R-LIC-2; nil ids and repeats are
// skipped); record then records what changed. Each account is first locked and written
// (lockPoolCurrent), so that the changes of one account's conflicts take turns on any number
// of nodes and each compares the state the one before it left.
func (s *Store) watchConflicts(ctx context.Context, resellerID int64, at time.Time, accountIDs ...*int64) (*conflictWatch, error) {
	w := &conflictWatch{resellerID: resellerID, at: at}
	for _, id := range accountIDs {
		if id == nil || slices.Contains(w.accounts, *id) {
			continue
		}
		if err := s.lockPoolCurrent(ctx, resellerID, *id); err != nil {
			return nil, err
		}
		before, err := s.AccountConflictSnapshot(ctx, *id, at)
		if err != nil {
			return nil, err
		}
		w.accounts, w.before = append(w.accounts, *id), append(w.before, before)
	}
	return w, nil
}

// record records license_conflict.opened and .resolved for what the change did to the watched
// accounts (RecordConflictChanges).
func (w *conflictWatch) record(ctx context.Context, s *Store) error {
	for i, id := range w.accounts {
		if err := s.RecordConflictChanges(ctx, w.resellerID, id, w.before[i], w.at); err != nil {
			return err
		}
	}
	return nil
}

// lockPoolCurrent locks and writes the account row like LockLicensePool, after checking that
// this transaction's snapshot (MySQL and MariaDB read a transaction's plain reads from the
// snapshot of its first one) has the account's latest revision: every change of its pools
// writes one, so a change committed since the snapshot was taken runs this transaction again
// (errRetry), which then reads it. Without the check a conflict event would compare holdings
// that miss it.
func (s *Store) lockPoolCurrent(ctx context.Context, resellerID, accountID int64) error {
	type revision struct{ Revision int64 }
	var seen, latest revision
	if err := s.ctx(ctx).Table(string(guardAccount)).Select("revision").Where("reseller_id = ? AND id = ?", resellerID, accountID).Take(&seen).Error; err != nil {
		return notFound(err)
	}
	if err := s.ctx(ctx).Table(string(guardAccount)).Clauses(lockForUpdate).Select("revision").Where("id = ?", accountID).Take(&latest).Error; err != nil {
		return err
	}
	if seen.Revision != latest.Revision {
		return fmt.Errorf("%w: account %d changed since this transaction's snapshot", errRetry, accountID)
	}
	return s.guard(ctx, guardAccount, accountID)
}
