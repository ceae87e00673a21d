package models

import (
	"context"
	"errors"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// Demo is what SeedDemo made.
type Demo struct {
	ResellerName string
	Token        string
}

// ErrNotEmpty: SeedDemo fills an empty database only.
var ErrNotEmpty = errors.New("seed-demo fills an empty database only; this one already has resellers")

// SeedDemo fills an empty database with one reseller, its key, two customers with agreements of
// different programs, enrollments and accounts, so a newcomer sees real data at once. It is one
// transaction: a failure leaves the database empty, so the command can simply run again.
func (s *Store) SeedDemo(ctx context.Context) (*Demo, error) {
	var demo *Demo
	err := s.InTx(ctx, func(tx *Store) (err error) {
		demo, err = tx.seedDemo(ctx)
		return err
	})
	return orNil(demo, wrap("seed demo", err))
}

func (s *Store) seedDemo(ctx context.Context) (*Demo, error) {
	var n int64
	if err := s.ctx(ctx).Model(&Reseller{}).Count(&n).Error; err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, ErrNotEmpty
	}
	d := func(s string) licensing.Date { v, _ := licensing.ParseDate(s); return v }
	// A command-line bootstrap with no request: its instant is the wall clock's.
	now := time.Now().UTC()
	res, err := s.CreateReseller(ctx, licensing.ResellerDraft{Name: "Contoso Cloud Partners"}, now)
	if err != nil {
		return nil, err
	}
	op := Caller{Role: RoleOperator}
	key, err := s.CreateAPIKey(ctx, op, &res.ID, RoleReseller, "demo reseller key", now)
	if err != nil {
		return nil, err
	}
	c := Caller{Role: RoleReseller, ResellerID: res.ID}

	fabrikam, err := s.CreateCustomer(ctx, c, nil, licensing.CustomerDraft{OrganizationName: "Fabrikam Inc.", Country: "US"}, now)
	if err != nil {
		return nil, err
	}
	ea, err := s.CreateAgreement(ctx, c, fabrikam.ID, licensing.AgreementDraft{Program: "ENTERPRISE", Number: "EA-1000001",
		StartDate: d("2026-01-01"), AnniversaryDate: d("2027-01-01"), Contacts: []licensing.ContactDraft{
			{Name: "Ana Admin", Email: "ana@fabrikam.com", Roles: []licensing.ContactRole{licensing.RoleAgreementAdministrator}},
			{Name: "Vic VLSC", Email: "vic@fabrikam.com", Roles: []licensing.ContactRole{licensing.RoleVLSCAdministrator, licensing.RoleOnlineAdministrator}},
		}}, now)
	if err != nil {
		return nil, err
	}
	if _, err := s.CreateEnrollment(ctx, c, ea.ID, licensing.EnrollmentDraft{Number: "ENR-1000001", OrganizationName: "Fabrikam Inc.",
		OSMName: "Olivia OSM", OSMEmail: "olivia@fabrikam.com", StartDate: d("2026-01-01"), EndDate: d("2028-12-31")}, now); err != nil {
		return nil, err
	}
	if _, err := s.CreateAccount(ctx, c, fabrikam.ID, licensing.AccountDraft{Name: "Fabrikam tenant", Country: "US",
		Domains: []string{"fabrikam.com"},
		Admins:  []licensing.AdminDraft{{Name: "Gina Global", Email: "gina@fabrikam.com", Role: licensing.AdminGlobal}},
		Users: []licensing.UserDraft{{UserName: "alice@fabrikam.com", DisplayName: "Alice"}, {UserName: "bob@fabrikam.com", DisplayName: "Bob"},
			{UserName: "carol@fabrikam.com", DisplayName: "Carol"}}}, now); err != nil {
		return nil, err
	}

	tailspin, err := s.CreateCustomer(ctx, c, nil, licensing.CustomerDraft{OrganizationName: "Tailspin Toys GmbH", Country: "DE"}, now)
	if err != nil {
		return nil, err
	}
	ov, err := s.CreateAgreement(ctx, c, tailspin.ID, licensing.AgreementDraft{Program: "OPEN_VALUE", Number: "V2000001",
		StartDate: d("2026-03-01"), AnniversaryDate: d("2027-03-01"), Contacts: []licensing.ContactDraft{
			{Name: "Tom Tailspin", Email: "tom@tailspintoys.de", Roles: []licensing.ContactRole{licensing.RoleAgreementAdministrator, licensing.RoleOnlineAdministrator}},
		}}, now)
	if err != nil {
		return nil, err
	}
	if _, err := s.CreateEnrollment(ctx, c, ov.ID, licensing.EnrollmentDraft{Number: "ENR-2000001", OrganizationName: "Tailspin Toys GmbH",
		StartDate: d("2026-03-01"), EndDate: d("2029-02-28")}, now); err != nil {
		return nil, err
	}
	if _, err := s.CreateAccount(ctx, c, tailspin.ID, licensing.AccountDraft{Name: "Tailspin tenant", Country: "DE",
		Domains: []string{"tailspintoys.de"}, Users: []licensing.UserDraft{{UserName: "tom@tailspintoys.de", DisplayName: "Tom"}}}, now); err != nil {
		return nil, err
	}
	return &Demo{ResellerName: res.Name, Token: key.Token}, nil
}
