package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Orders (R-ORD): placing with an idempotency key, processing and cancelling.

// Order is an order of licenses against an enrollment (R-ORD-1).
type Order struct {
	ID                      int64
	ResellerID              int64
	EnrollmentID            int64
	Number                  string
	Status                  licensing.OrderStatus
	PurchaseDate            licensing.Date
	UsageStartDate          licensing.Date
	IdempotencyKey          string
	Fingerprint             string
	MovesFromSubscriptionID *int64
	CreatedAt               time.Time
	ProcessedAt             *time.Time
	CancelledAt             *time.Time
}

// AvailableAt is when a processed order's licenses stop being pending; nil until it is
// processed (licensing.PendingUntil, R-ORD-5).
func (o Order) AvailableAt() *time.Time {
	if o.ProcessedAt == nil {
		return nil
	}
	at := licensing.PendingUntil(*o.ProcessedAt)
	return &at
}

// OrderLine is one SKU and quantity of an order.
type OrderLine struct {
	ID         int64
	ResellerID int64
	OrderID    int64
	LineNo     int
	SKU        string `gorm:"column:sku"`
	Quantity   int
}

// CreateOrder places an order (R-ORD-1) or, for a key already used with the same content,
// returns the first order (R-ORD-2), in one transaction that reads the enrollment, the key's
// earlier order and the facts it checks. The unique index on (reseller, key) decides between
// concurrent retries: the loser's insert fails as a duplicate and the transaction runs again,
// finding the winner's order.
func (s *Store) CreateOrder(ctx context.Context, c Caller, d licensing.OrderDraft, now time.Time) (*Order, error) {
	d.IdempotencyKey = strings.TrimSpace(d.IdempotencyKey)
	fingerprint := licensing.OrderFingerprint(d)
	var o *Order
	err := s.InTx(ctx, func(tx *Store) error {
		// Read without a lock: placing checks the enrollment as it is now, and nothing placed
		// depends on it staying so until processing.
		e, err := tx.enrollmentForWrite(ctx, c, d.EnrollmentNumber)
		if err != nil {
			return err
		}
		if o, err = earlierWithKey(ctx, tx, e.ResellerID, d.IdempotencyKey, fingerprint, func(o *Order) string { return o.Fingerprint }); o != nil || err != nil {
			return err
		}
		if o, err = tx.placeOrder(ctx, c, e, d, fingerprint, now); err != nil {
			return err
		}
		return tx.recordOrder(ctx, TopicOrderCreated, o, now)
	})
	return orNil(o, wrap("create order", err))
}

// earlierWithKey finds the row stored under (reseller, idempotency key): nil when there is none,
// the row when its content (fingerprint) is the same, a refusal when it differs
// (licensing.DecideIdempotency). A plain read: the unique index on the key, not a lock, keeps a
// second row out (insertOnce).
func earlierWithKey[T any](ctx context.Context, s *Store, resellerID int64, key, fingerprint string, fingerprintOf func(*T) string) (*T, error) {
	var first T
	err := s.ctx(ctx).Where("reseller_id = ? AND idempotency_key = ?", resellerID, key).Take(&first).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	reuse, p := licensing.DecideIdempotency(fingerprintOf(&first), fingerprint)
	if !reuse {
		return nil, problem(p)
	}
	return &first, nil
}

// insertOnce inserts a row that a unique key keeps single (an idempotency key, a grant); a
// duplicate means a concurrent call committed first, here or on another cluster node, so the
// transaction runs again and finds its row (earlierWithKey, holdsReservationPermission).
func (s *Store) insertOnce(ctx context.Context, row any) error {
	err := s.ctx(ctx).Create(row).Error
	if err != nil && isDuplicate(err) {
		return fmt.Errorf("%w: unique key taken concurrently", errRetry)
	}
	return err
}

// placeOrder checks and inserts an order in CreateOrder's transaction.
func (s *Store) placeOrder(ctx context.Context, c Caller, e *Enrollment, d licensing.OrderDraft, fingerprint string, now time.Time) (*Order, error) {
	codes := make([]string, len(d.Lines))
	for i, l := range d.Lines {
		codes[i] = l.SKU
	}
	facts := licensing.OrderFacts{EnrollmentStatus: e.Status, EnrollmentStartDate: e.StartDate, EnrollmentEndDate: e.EndDate, Today: licensing.DateOf(now)}
	var err error
	if facts.Catalog, err = s.catalogFacts(ctx, codes); err != nil {
		return nil, err
	}
	if facts.SubscribedSKUs, err = s.activeSKUs(ctx, e.ID, e.ResellerID, now); err != nil {
		return nil, err
	}
	if d.MovesFromDirect {
		if facts.DirectHoldings, err = s.directHoldings(ctx, c, d.MovesFromSubscription, now); err != nil {
			return nil, err
		}
	}
	if err := licensing.ValidateOrder(d, facts).Err(); err != nil {
		return nil, err
	}
	o := Order{ID: newID(), ResellerID: e.ResellerID, EnrollmentID: e.ID, Status: licensing.OrderPlaced, PurchaseDate: d.PurchaseDate,
		UsageStartDate: d.UsageStartDate, IdempotencyKey: d.IdempotencyKey, Fingerprint: fingerprint, CreatedAt: now}
	o.Number = "ORD-" + strings.ToUpper(strconv.FormatInt(o.ID, 36))
	if d.MovesFromDirect {
		o.MovesFromSubscriptionID = &d.MovesFromSubscription
	}
	if err := s.insertOnce(ctx, &o); err != nil {
		return nil, err
	}
	for i, l := range d.Lines {
		line := OrderLine{ID: newID(), ResellerID: o.ResellerID, OrderID: o.ID, LineNo: i + 1, SKU: l.SKU, Quantity: l.Quantity}
		if err := s.ctx(ctx).Create(&line).Error; err != nil {
			return nil, err
		}
	}
	return &o, nil
}

// directHoldings returns what a direct (MOSP) purchase holds, per SKU (R-ORD-4): the named
// direct subscription and every other ACTIVE direct subscription on its account (its add-ons).
func (s *Store) directHoldings(ctx context.Context, c Caller, subscriptionID int64, asOf time.Time) (map[string]int, error) {
	sub, err := byID[Subscription](ctx, s, c, subscriptionID)
	if errors.Is(err, ErrNotFound) || (err == nil && sub.DirectAccountID == nil) {
		return nil, refuse(licensing.CodeNotFound, "no direct (MOSP) subscription with this id", "directSubscription")
	} else if err != nil {
		return nil, err
	}
	var subs []Subscription
	if err := s.ctx(ctx).Where("reseller_id = ? AND direct_account_id = ?", sub.ResellerID, *sub.DirectAccountID).Find(&subs).Error; err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, d := range subs {
		if d.Term().StatusAt(asOf).Counts() {
			out[d.SKU] += d.Quantity
		}
	}
	return out, nil
}

// ProcessOrder records the upstream confirmation that an order was invoiced: its quantities
// are added to the enrollment's subscriptions, all in one transaction (R-ORD-1). They show as
// pending for 12 hours (R-ORD-5).
func (s *Store) ProcessOrder(ctx context.Context, c Caller, id int64, now time.Time) (*Order, error) {
	var o *Order
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if o, err = lockByID[Order](ctx, tx, c, id, "order", "order"); err != nil {
			return err
		}
		if err := problem(licensing.CanProcessOrder(o.Status)); err != nil {
			return err
		}
		var lines []OrderLine
		if err := tx.ctx(ctx).Where("reseller_id = ? AND order_id = ?", o.ResellerID, o.ID).Order("line_no").Find(&lines).Error; err != nil {
			return err
		}
		// The enrollment is locked too: processing decides its first order, its activation email
		// and its account (afterOrderProcessed), which a concurrent processing of another of its
		// orders must not decide as well.
		var e *Enrollment
		if err := c.scope(tx.ctx(ctx)).Clauses(lockForUpdate).Where("id = ?", o.EnrollmentID).Take(&e).Error; err != nil {
			return notFound(err)
		}
		if err := tx.guard(ctx, guardEnrollment, e.ID); err != nil { // the lock holds on one cluster node only
			return err
		}
		// Licenses added on an account may resolve its conflicts (R-LIC-2).
		conflicts, err := tx.watchConflicts(ctx, e.ResellerID, now, e.AccountID)
		if err != nil {
			return err
		}
		a, err := byID[Agreement](ctx, tx, c, e.AgreementID)
		if err != nil {
			return err
		}
		for _, l := range lines {
			sub, err := tx.lockEnrollmentSubscription(ctx, e, a.Program, l.SKU, now)
			if err != nil {
				return err
			}
			if err := tx.changeQuantity(ctx, sub, l.Quantity, CauseOrder, &o.ID, nil, now); err != nil {
				return err
			}
		}
		o.Status, o.ProcessedAt = licensing.OrderProcessed, &now
		if err := tx.ctx(ctx).Model(o).Updates(map[string]any{"status": o.Status, "processed_at": now}).Error; err != nil {
			return err
		}
		if err := tx.recordOrder(ctx, TopicOrderProcessed, o, now); err != nil {
			return err
		}
		// Recorded before afterOrderProcessed: an association there records its own.
		if err := conflicts.record(ctx, tx); err != nil {
			return err
		}
		return tx.afterOrderProcessed(ctx, e, a, o, lines, now)
	})
	return orNil(o, wrap("process order", err))
}

// CancelOrder cancels a PLACED order; it never touched a subscription.
func (s *Store) CancelOrder(ctx context.Context, c Caller, id int64, now time.Time) (*Order, error) {
	return updateLocked(ctx, s, "cancel order", c, id, "order", "order", func(tx *Store, o *Order) error {
		if err := problem(licensing.CanCancelOrder(o.Status)); err != nil {
			return err
		}
		o.Status, o.CancelledAt = licensing.OrderCancelled, &now
		if err := tx.ctx(ctx).Model(o).Updates(map[string]any{"status": o.Status, "cancelled_at": now}).Error; err != nil {
			return err
		}
		return tx.recordOrder(ctx, TopicOrderCancelled, o, now)
	})
}

// OrderFilter narrows an order list.
type OrderFilter struct {
	EnrollmentID  *int64
	Status        *licensing.OrderStatus
	PurchasedFrom *licensing.Date
	PurchasedTo   *licensing.Date
}

func (s *Store) Orders(ctx context.Context, c Caller, f OrderFilter, p Page) (*List[Order], error) {
	return filtered[Order](ctx, s, c, p, is("enrollment_id = ?", f.EnrollmentID), is("status = ?", f.Status),
		is("purchase_date >= ?", f.PurchasedFrom), is("purchase_date <= ?", f.PurchasedTo))
}

// OrderByNumber finds an order by number within the caller's scope.
func (s *Store) OrderByNumber(ctx context.Context, c Caller, number string) (*Order, error) {
	var o Order
	if err := c.scope(s.preparedRead(ctx)).Where("number = ?", licensing.NormalizeNumber(number)).Order("id").Take(&o).Error; err != nil {
		return nil, notFound(err)
	}
	return &o, nil
}

// LinesByOrder loads the lines of many orders at once (for dataloaders).
func (s *Store) LinesByOrder(ctx context.Context, c Caller, orderIDs []int64) ([]OrderLine, error) {
	var rows []OrderLine
	return rows, c.scope(s.ctx(ctx)).Where("order_id IN ?", orderIDs).Order("line_no").Find(&rows).Error
}

// enrollmentForWrite finds an enrollment by number for a write, or a NOT_FOUND refusal.
func (s *Store) enrollmentForWrite(ctx context.Context, c Caller, number string) (*Enrollment, error) {
	e, err := s.EnrollmentByNumber(ctx, c, number)
	if errors.Is(err, ErrNotFound) {
		return nil, refuse(licensing.CodeNotFound, fmt.Sprintf("no enrollment %q", number), "enrollment")
	}
	return e, err
}

// catalogFacts loads the catalog entries the codes name (unknown codes are absent).
func (s *Store) catalogFacts(ctx context.Context, codes []string) (map[string]licensing.SKUFacts, error) {
	rows, err := s.SKUsByCode(ctx, codes)
	out := make(map[string]licensing.SKUFacts, len(rows))
	for _, k := range rows {
		out[k.Code] = licensing.SKUFacts{Code: k.Code, Family: k.Family, Kind: k.Kind, BaseSKUs: k.BaseList(), Unit: k.Unit}
	}
	return out, err
}
