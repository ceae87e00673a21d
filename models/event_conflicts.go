package models

import (
	"context"
	"fmt"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// License conflicts (R-LIC-2) open and close with changes (a lowered quantity, a cancellation,
// licenses removed, a renewal) and with time (a term ending with auto-renew off, a grace period
// ending, pending licenses becoming available). Either way the events compare the account's
// conflicts, per SKU, before and after: a SKU newly in conflict is license_conflict.opened, one
// no longer in conflict is license_conflict.resolved.

// ConflictSnapshot is an account's conflicts by SKU at an instant.
type ConflictSnapshot map[string]licensing.Conflict

func (s *Store) holdingsOf(ctx context.Context, accountID int64) ([]licensing.SKUHoldings, error) {
	var h []licensing.SKUHoldings
	err := s.aggregate(ctx, func() (err error) {
		h, err = s.AccountHoldings(ctx, Caller{Role: RoleOperator}, accountID)
		return err
	})
	return h, err
}

func snapshot(h []licensing.SKUHoldings, at time.Time) ConflictSnapshot {
	out := ConflictSnapshot{}
	for _, c := range licensing.ConflictsAt(h, at) {
		out[c.SKU] = c
	}
	return out
}

// AccountConflictSnapshot returns an account's conflicts as of at. A change that may open or
// resolve conflicts takes one in its transaction before it writes, then calls
// RecordConflictChanges after.
func (s *Store) AccountConflictSnapshot(ctx context.Context, accountID int64, at time.Time) (ConflictSnapshot, error) {
	h, err := s.holdingsOf(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return snapshot(h, at), nil
}

// RecordConflictChanges records, in the change's transaction, license_conflict.opened for each
// SKU of the account in conflict as of at but not in before, and .resolved for each SKU of
// before no longer in conflict.
func (s *Store) RecordConflictChanges(ctx context.Context, resellerID, accountID int64, before ConflictSnapshot, at time.Time) error {
	h, err := s.holdingsOf(ctx, accountID)
	if err != nil {
		return err
	}
	for _, e := range conflictEvents(resellerID, accountID, h, before, snapshot(h, at), at) {
		if err := s.RecordEvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// conflictEvents are the opened and resolved events between two snapshots of an account whose
// holdings are h.
func conflictEvents(resellerID, accountID int64, h []licensing.SKUHoldings, before, after ConflictSnapshot, at time.Time) []Event {
	var out []Event
	for _, held := range h {
		_, was := before[held.SKU]
		c, is := after[held.SKU]
		switch {
		case is && !was:
			out = append(out, Event{ResellerID: resellerID, Topic: TopicLicenseConflictOpened, OccurredAt: at, Data: NewLicenseConflictData(accountID, c)})
		case was && !is:
			d := LicenseConflictData{Account: GlobalID("Account", accountID), SKU: held.SKU, Licensed: licensing.LicensedQuantityAt(held.Subscriptions, at),
				Assigned: len(held.AssignedUsers)}
			for _, sub := range held.Subscriptions {
				if sub.Term.StatusAt(at) == licensing.SubscriptionInGrace {
					d.InGrace += sub.Quantity
				}
			}
			out = append(out, Event{ResellerID: resellerID, Topic: TopicLicenseConflictResolved, OccurredAt: at, Data: d})
		}
	}
	return out
}

// recordDueConflicts records, for the scheduler, the conflicts of an account that opened or
// resolved at an instant (compared with just before it), each once.
func (s *Store) recordDueConflicts(ctx context.Context, resellerID int64, accountID *int64, at time.Time) (int, error) {
	if accountID == nil {
		return 0, nil // not on an account: no users hold its licenses
	}
	h, err := s.holdingsOf(ctx, *accountID)
	if err != nil {
		return 0, err
	}
	at = at.UTC().Truncate(time.Microsecond)
	n := 0
	for _, e := range conflictEvents(resellerID, *accountID, h, snapshot(h, at.Add(-time.Microsecond)), snapshot(h, at), at) {
		key := fmt.Sprintf("%s:Account:%d:%d:%s", e.Topic, *accountID, at.UnixMicro(), e.Data.(LicenseConflictData).SKU)
		e.DedupKey = &key
		wrote, err := s.recordEvent(ctx, &e)
		if err != nil {
			return n, err
		}
		if wrote {
			n++
		}
	}
	return n, nil
}
