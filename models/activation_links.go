package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Activation links (R-ACT-8, R-ACT-9): activating through a token, and support's re-enable.

// ActivationLink is the hash of one activation token of an enrollment (R-ACT-8, R-ACT-9).
type ActivationLink struct {
	ID           int64
	ResellerID   int64
	EnrollmentID int64
	TokenHash    string
	CreatedAt    time.Time
}

// ActivationLinkExpiresAt is when the enrollment's activation link stops working
// (licensing.LinkExpiresAt, R-ACT-8); nil before the first processed order gives it a purchase date.
func (e Enrollment) ActivationLinkExpiresAt() *time.Time {
	if e.OriginalPurchaseDate.IsZero() {
		return nil
	}
	exp := licensing.LinkExpiresAt(e.OriginalPurchaseDate, e.LinkReenabledUntil)
	return &exp
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ReenableActivationLink lets an expired link work again until the given instant (R-ACT-8);
// a support (operator) action.
func (s *Store) ReenableActivationLink(ctx context.Context, c Caller, number string, until, now time.Time) (*Enrollment, error) {
	if err := problem(licensing.CheckLinkReenable(until, now)); err != nil {
		return nil, wrap("reenable activation link", err)
	}
	var e *Enrollment
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if e, err = tx.lockEnrollment(ctx, c, number); err != nil {
			return err
		}
		e.LinkReenabledUntil = &until
		if err := tx.ctx(ctx).Model(e).Update("link_reenabled_until", until).Error; err != nil {
			return err
		}
		// The emails held back because the link had expired go now (licensing.DispatchFor), with
		// a new 48 hours to arrive: activationStatus then says they are on their way. Bounced
		// ones stay parked: their recipient refused them for good.
		return tx.ctx(ctx).Model(&ActivationEmail{}).Where("reseller_id = ? AND enrollment_id = ? AND sent_at IS NULL AND next_attempt_at IS NULL AND bounced_at IS NULL", e.ResellerID, e.ID).
			Updates(map[string]any{"next_attempt_at": now, "scheduled_at": now, "due_by": now.Add(licensing.ActivationEmailWindow), "last_error": ""}).Error
	})
	return orNil(e, wrap("reenable activation link", err))
}

// ActivationRequest is an activateEnrollment call: the token from the email and either an
// existing account or the details of a new one (R-ENR-3).
type ActivationRequest struct {
	Token      string
	AccountID  *int64
	NewAccount *licensing.AccountDraft
}

// ActivateEnrollment completes activation through a link (R-ACT-9: whoever holds the token).
// The token must belong to an enrollment of the caller's reseller: a customer activates
// through its reseller's portal, and a token of another reseller reads as unknown.
func (s *Store) ActivateEnrollment(ctx context.Context, c Caller, r ActivationRequest, now time.Time) (*Enrollment, error) {
	if err := licensing.ValidateActivationTarget(r.AccountID != nil, r.NewAccount).Err(); err != nil {
		return nil, wrap("activate enrollment", err)
	}
	var e *Enrollment
	err := s.InTx(ctx, func(tx *Store) error {
		var link ActivationLink
		// Links are never changed once made: a plain read; the enrollment is then locked.
		err := c.scope(tx.ctx(ctx)).Where("token_hash = ?", hashToken(r.Token)).Take(&link).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return refuse(licensing.CodeNotFound, "no activation link matches this token", "token")
		} else if err != nil {
			return err
		}
		if err := c.scope(tx.ctx(ctx)).Clauses(lockForUpdate).Where("id = ?", link.EnrollmentID).Take(&e).Error; err != nil {
			return err
		}
		a, err := byID[Agreement](ctx, tx, c, e.AgreementID)
		if err != nil {
			return err
		}
		f := licensing.ActivationRequestFacts{Program: a.Program, AsOf: now, OriginalPurchase: e.OriginalPurchaseDate, LinkReenabledUntil: e.LinkReenabledUntil,
			AssociatedAccountID: e.AccountID}
		if e.AccountID != nil {
			f.LicenseAccountIDs = []int64{*e.AccountID}
		}
		if f.Lines, err = tx.enrollmentLines(ctx, e, now); err != nil {
			return err
		}
		if f.AgreementAccountID, err = tx.agreementAccount(ctx, e); err != nil {
			return err
		}
		if f.AccountNames, err = tx.accountNames(ctx, e.ResellerID, e.AccountID, f.AgreementAccountID); err != nil {
			return err
		}
		if r.AccountID != nil {
			accounts, err := tx.accountFacts(ctx, e.ResellerID, func(q *gorm.DB) *gorm.DB { return q.Where("id = ?", *r.AccountID) })
			if err != nil {
				return err
			}
			if len(accounts) == 0 {
				return refuse(licensing.CodeNotFound, "no such account", "account")
			}
			f.Target = &accounts[0]
		} else {
			f.NewAccountCountry = r.NewAccount.Country
		}
		decision, ps := licensing.DecideActivation(f)
		if err := ps.Err(); err != nil {
			return err
		}
		accountID := decision.AccountID
		if decision.CreateAccount {
			acc, err := tx.CreateAccount(ctx, c, a.CustomerID, *r.NewAccount, now)
			if err != nil {
				return err
			}
			accountID = acc.ID
		}
		return tx.associate(ctx, e, accountID, licensing.AssociatedByLink, now)
	})
	return orNil(e, wrap("activate enrollment", err))
}
