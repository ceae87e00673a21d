package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// Online-services accounts (tenants) with their verified domains, administrators and users.

// Account is an online-services account (tenant).
type Account struct {
	ID         int64
	ResellerID int64
	CustomerID int64
	Name       string
	Country    string
	CreatedAt  time.Time
}

// AccountDomain is an email domain verified on an account.
type AccountDomain struct {
	ID         int64
	ResellerID int64
	AccountID  int64
	Domain     string
}

// AccountAdmin is a global or billing administrator of an account.
type AccountAdmin struct {
	ID         int64
	ResellerID int64
	AccountID  int64
	Name       string
	Email      string
	Role       licensing.AdminRole
}

// AccountUser is a user of an account who may hold licenses.
type AccountUser struct {
	ID          int64
	ResellerID  int64
	AccountID   int64
	UserName    string
	DisplayName string
	CreatedAt   time.Time
}

func (s *Store) Account(ctx context.Context, c Caller, id int64) (*Account, error) {
	return byID[Account](ctx, s, c, id)
}

func (s *Store) AccountsByID(ctx context.Context, c Caller, ids []int64) ([]Account, error) {
	return byIDs[Account](ctx, s, c, ids)
}

// AccountFilter narrows an account list.
type AccountFilter struct {
	CustomerID *int64
	Country    *string
}

func (s *Store) Accounts(ctx context.Context, c Caller, f AccountFilter, p Page) (*List[Account], error) {
	return filtered[Account](ctx, s, c, p, is("customer_id = ?", f.CustomerID), is("country = ?", f.Country))
}

// CreateAccount stores an account with its domains, administrators and users, in one transaction.
func (s *Store) CreateAccount(ctx context.Context, c Caller, customerID int64, d licensing.AccountDraft, now time.Time) (*Account, error) {
	// Unique indexes keep domains and user names single.
	return createUnder(ctx, s, c, "create account", d.Validate(), customerID, "customer", func(tx *Store, cu *Customer) (Account, error) {
		a := Account{ID: newID(), ResellerID: cu.ResellerID, CustomerID: cu.ID, Name: strings.TrimSpace(d.Name), Country: d.Country, CreatedAt: now}
		if err := tx.ctx(ctx).Create(&a).Error; err != nil {
			return a, err
		}
		return a, tx.addAccountParts(ctx, a, d, now)
	})
}

// addAccountParts stores the domains, administrators and users of a new account.
func (s *Store) addAccountParts(ctx context.Context, a Account, d licensing.AccountDraft, now time.Time) error {
	for i, dom := range d.Domains {
		row := AccountDomain{ID: newID(), ResellerID: a.ResellerID, AccountID: a.ID, Domain: strings.ToLower(dom)}
		if err := s.ctx(ctx).Create(&row).Error; err != nil {
			if isDuplicate(err) {
				return licensing.Problems{{Input: []string{"domains", fmt.Sprint(i)}, Code: licensing.CodeTaken, Message: fmt.Sprintf("domain %q is already verified on another account", dom)}}
			}
			return err
		}
	}
	for _, ad := range d.Admins {
		row := AccountAdmin{ID: newID(), ResellerID: a.ResellerID, AccountID: a.ID, Name: strings.TrimSpace(ad.Name), Email: ad.Email, Role: ad.Role}
		if err := s.ctx(ctx).Create(&row).Error; err != nil {
			return err
		}
	}
	return s.insertUsers(ctx, a, d.Users, now)
}

func (s *Store) insertUsers(ctx context.Context, a Account, users []licensing.UserDraft, now time.Time) error {
	for i, u := range users {
		row := AccountUser{ID: newID(), ResellerID: a.ResellerID, AccountID: a.ID, UserName: strings.ToLower(u.UserName), DisplayName: strings.TrimSpace(u.DisplayName), CreatedAt: now}
		if err := s.ctx(ctx).Create(&row).Error; err != nil {
			if isDuplicate(err) {
				return licensing.Problems{{Input: []string{"users", fmt.Sprint(i), "userName"}, Code: licensing.CodeTaken, Message: fmt.Sprintf("user %q already exists on this account", u.UserName)}}
			}
			return err
		}
	}
	return nil
}

// AddAccountUsers adds users to one of the caller's accounts.
func (s *Store) AddAccountUsers(ctx context.Context, c Caller, accountID int64, users []licensing.UserDraft, now time.Time) (*Account, error) {
	if err := licensing.ValidateUsers(users).Err(); err != nil {
		return nil, wrap("add account users", err)
	}
	var a *Account
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		// A plain read: accounts are never deleted; the unique index keeps user names single.
		if a, err = findFor[Account](ctx, tx, c, accountID, "account"); err != nil {
			return err
		}
		return tx.insertUsers(ctx, *a, users, now)
	})
	return orNil(a, wrap("add account users", err))
}

// DomainsByAccount, AdminsByAccount load the parts of many accounts at once (for dataloaders).
func (s *Store) DomainsByAccount(ctx context.Context, c Caller, accountIDs []int64) ([]AccountDomain, error) {
	var rows []AccountDomain
	return rows, c.scope(s.ctx(ctx)).Where("account_id IN ?", accountIDs).Order("id").Find(&rows).Error
}

func (s *Store) AdminsByAccount(ctx context.Context, c Caller, accountIDs []int64) ([]AccountAdmin, error) {
	var rows []AccountAdmin
	return rows, c.scope(s.ctx(ctx)).Where("account_id IN ?", accountIDs).Order("id").Find(&rows).Error
}

// AccountUsers pages through the users of one account.
func (s *Store) AccountUsers(ctx context.Context, c Caller, f AccountUserFilter, p Page) (*List[AccountUser], error) {
	q := c.scope(s.ctx(ctx).Model(&AccountUser{})).Where("account_id = ?", f.AccountID)
	if f.SKU != nil { // who holds what: the pool's assignments (license_assignments_pool)
		q = q.Where("id IN (?)", c.scope(s.ctx(ctx).Model(&LicenseAssignment{})).Select("user_id").Where("account_id = ? AND sku = ?", f.AccountID, *f.SKU))
	}
	return list[AccountUser](s, q, p)
}

// AccountUserFilter selects an account's users: all, or those holding a SKU there.
type AccountUserFilter struct {
	AccountID int64
	SKU       *string
}

// UserLicenses lists the licenses a user holds, in assignment (id) order.
func (s *Store) UserLicenses(ctx context.Context, c Caller, userID int64, p Page) (*List[LicenseAssignment], error) {
	return list[LicenseAssignment](s, c.scope(s.ctx(ctx).Model(&LicenseAssignment{})).Where("user_id = ?", userID), p)
}
