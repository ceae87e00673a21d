package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// Resellers, customers, agreements with their contacts, and enrollments (R-AGR).

// Reseller is the partner that owns customers and calls the API.
type Reseller struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// Customer is an organization a reseller sells to.
type Customer struct {
	ID               int64
	ResellerID       int64
	OrganizationName string
	Country          string
	Language         licensing.Language // of its activation emails
	CreatedAt        time.Time
}

// Agreement is a customer's volume-licensing contract.
type Agreement struct {
	ID              int64
	ResellerID      int64
	CustomerID      int64
	Program         licensing.Program
	Number          string
	StartDate       licensing.Date
	AnniversaryDate licensing.Date
	CreatedAt       time.Time
}

// AgreementContact is a contact on an agreement; Roles is a comma-separated list (R-AGR-3).
type AgreementContact struct {
	ID          int64
	ResellerID  int64
	AgreementID int64
	Name        string
	Email       string
	Roles       string
}

// RoleList returns the contact's roles.
func (c AgreementContact) RoleList() []licensing.ContactRole {
	var out []licensing.ContactRole
	for _, r := range splitList(c.Roles) {
		out = append(out, licensing.ContactRole(r))
	}
	return out
}

// Enrollment is a registration under an agreement against which licenses are ordered.
type Enrollment struct {
	ID               int64
	ResellerID       int64
	AgreementID      int64
	Number           string
	OrganizationName string
	OSMName          string `gorm:"column:osm_name"`
	OSMEmail         string `gorm:"column:osm_email"`
	StartDate        licensing.Date
	EndDate          licensing.Date
	Status           licensing.EnrollmentStatus
	AccountID        *int64
	CreatedAt        time.Time
	// Activation (R-ACT, R-ENR): how and when the enrollment came onto its account.
	AssociatedAt           *time.Time
	AssociationCause       licensing.AssociationCause
	LastActivatedAt        *time.Time
	OriginalPurchaseDate   licensing.Date
	LinkReenabledUntil     *time.Time
	RenewedFromID          *int64
	RenewalNeedsActivation bool
}

// CreateReseller stores a reseller (operators only; the resolver checks).
func (s *Store) CreateReseller(ctx context.Context, d licensing.ResellerDraft, now time.Time) (*Reseller, error) {
	if err := d.Validate().Err(); err != nil {
		return nil, wrap("create reseller", err)
	}
	r := Reseller{ID: newID(), Name: strings.TrimSpace(d.Name), CreatedAt: now}
	return orNil(&r, wrap("create reseller", s.ctx(ctx).Create(&r).Error))
}

// Reseller returns a reseller the caller may see: operators any, others only their own.
func (s *Store) Reseller(ctx context.Context, c Caller, id int64) (*Reseller, error) {
	q := s.ctx(ctx).Where("id = ?", id)
	if !c.AllResellers() {
		q = q.Where("id = ?", c.ResellerID)
	}
	var r Reseller
	if err := q.Take(&r).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// Resellers lists the resellers the caller may see.
func (s *Store) Resellers(ctx context.Context, c Caller, p Page) (*List[Reseller], error) {
	q := s.ctx(ctx).Model(&Reseller{})
	if !c.AllResellers() {
		q = q.Where("id = ?", c.ResellerID)
	}
	return list[Reseller](s, q, p)
}

// ownerFor decides which reseller a new record belongs to: the caller's own, or for an
// operator the one named in the input (which must exist).
func (s *Store) ownerFor(ctx context.Context, c Caller, requested *int64) (int64, error) {
	if !c.AllResellers() {
		if requested != nil && *requested != c.ResellerID {
			return 0, licensing.Problems{{Input: []string{"reseller"}, Code: licensing.CodeNotFound, Message: "no such reseller"}}
		}
		return c.ResellerID, nil
	}
	if requested == nil {
		return 0, licensing.Problems{{Input: []string{"reseller"}, Code: licensing.CodeRequired, Message: "operators name the reseller the record belongs to"}}
	}
	if _, err := s.Reseller(ctx, c, *requested); err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, licensing.Problems{{Input: []string{"reseller"}, Code: licensing.CodeNotFound, Message: "no such reseller"}}
		}
		return 0, err
	}
	return *requested, nil
}

// CreateCustomer stores a customer of the caller's reseller (or, for operators, resellerID's).
func (s *Store) CreateCustomer(ctx context.Context, c Caller, resellerID *int64, d licensing.CustomerDraft, now time.Time) (*Customer, error) {
	if err := d.Validate().Err(); err != nil {
		return nil, wrap("create customer", err)
	}
	var cu *Customer
	err := s.InTx(ctx, func(tx *Store) error {
		// A plain read of the owner: resellers are never deleted.
		owner, err := tx.ownerFor(ctx, c, resellerID)
		if err != nil {
			return err
		}
		cu = &Customer{ID: newID(), ResellerID: owner, OrganizationName: strings.TrimSpace(d.OrganizationName), Country: d.Country,
			Language: d.CustomerLanguage(), CreatedAt: now}
		return tx.ctx(ctx).Create(cu).Error
	})
	return orNil(cu, wrap("create customer", err))
}

func (s *Store) Customer(ctx context.Context, c Caller, id int64) (*Customer, error) {
	return byID[Customer](ctx, s, c, id)
}

func (s *Store) CustomersByID(ctx context.Context, c Caller, ids []int64) ([]Customer, error) {
	return byIDs[Customer](ctx, s, c, ids)
}

func (s *Store) Agreement(ctx context.Context, c Caller, id int64) (*Agreement, error) {
	return byID[Agreement](ctx, s, c, id)
}

func (s *Store) AgreementsByID(ctx context.Context, c Caller, ids []int64) ([]Agreement, error) {
	return byIDs[Agreement](ctx, s, c, ids)
}

// AgreementsWithCustomers reads agreements by id and their customers in one statement (a page
// that shows an enrollment's agreement and its customer reads two levels at once), shared with
// the request's other reads by id: a later read of those customers sends no statement. The
// customers come once each, in no set order.
func (s *Store) AgreementsWithCustomers(ctx context.Context, c Caller, ids []int64) ([]Agreement, []Customer, error) {
	var joined []Customer
	agreements, err := sharedByIDs(ctx, s, c, ids, func(ids []int64) ([]Agreement, error) {
		q := s.ctx(ctx).Table("agreements a").Select("a.*, 0 AS "+pairSplit+", cu.*").
			Joins("JOIN customers cu ON cu.reseller_id = a.reseller_id AND cu.id = a.customer_id").Where("a.id IN ?", ids)
		if !c.AllResellers() {
			q = q.Where("a.reseller_id = ?", c.ResellerID)
		}
		a, cu, err := scanPairs[Agreement, Customer](q)
		if err == nil {
			shareRows(ctx, s, c, cu)
			joined = cu
		}
		return a, err
	})
	if err != nil {
		return nil, nil, err
	}
	// The customers of agreements another read of the request brought are read by id (shared:
	// none, when that read was joined too).
	seen := map[int64]bool{}
	var customers []Customer
	for _, cu := range joined {
		if !seen[cu.ID] {
			seen[cu.ID] = true
			customers = append(customers, cu)
		}
	}
	var missing []int64
	for _, a := range agreements {
		if !seen[a.CustomerID] {
			seen[a.CustomerID] = true
			missing = append(missing, a.CustomerID)
		}
	}
	if len(missing) > 0 {
		more, err := byIDs[Customer](ctx, s, c, missing)
		if err != nil {
			return nil, nil, err
		}
		customers = append(customers, more...)
	}
	return agreements, customers, nil
}

func (s *Store) Enrollment(ctx context.Context, c Caller, id int64) (*Enrollment, error) {
	return byID[Enrollment](ctx, s, c, id)
}

func (s *Store) ResellersByID(ctx context.Context, c Caller, ids []int64) ([]Reseller, error) {
	q := s.ctx(ctx).Where("id IN ?", ids)
	if !c.AllResellers() {
		q = q.Where("id = ?", c.ResellerID)
	}
	var rows []Reseller
	return rows, q.Find(&rows).Error
}

func (s *Store) EnrollmentsByID(ctx context.Context, c Caller, ids []int64) ([]Enrollment, error) {
	return byIDs[Enrollment](ctx, s, c, ids)
}

// AgreementByNumber finds an agreement by its number within the caller's scope.
func (s *Store) AgreementByNumber(ctx context.Context, c Caller, number string) (*Agreement, error) {
	var a Agreement
	if err := c.scope(s.preparedRead(ctx)).Where("number = ?", licensing.NormalizeNumber(number)).Order("id").Take(&a).Error; err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// EnrollmentByNumber finds an enrollment by its number within the caller's scope. Within a query
// request it reads the enrollment's agreement, customer and account in the same statement and
// shares them with the request's reads by id (memo.go): a page showing an enrollment shows them
// too, and its activation status reads the agreement and account.
func (s *Store) EnrollmentByNumber(ctx context.Context, c Caller, number string) (*Enrollment, error) {
	number = licensing.NormalizeNumber(number)
	if !sharing(ctx, s) {
		var e Enrollment
		if err := c.scope(s.preparedRead(ctx)).Where("number = ?", number).Order("id").Take(&e).Error; err != nil {
			return nil, notFound(err)
		}
		return &e, nil
	}
	q := s.preparedRead(ctx).Table("enrollments e").Select("e.*, 0 AS "+pairSplit+", a.*, 0 AS "+pairSplit+", cu.*, 0 AS "+pairSplit+", ac.*").
		Joins("JOIN agreements a ON a.reseller_id = e.reseller_id AND a.id = e.agreement_id").
		Joins("JOIN customers cu ON cu.reseller_id = e.reseller_id AND cu.id = a.customer_id").
		Joins("LEFT JOIN accounts ac ON ac.reseller_id = e.reseller_id AND ac.id = e.account_id").
		Where("e.number = ?", number).Order("e.id").Limit(1)
	if !c.AllResellers() {
		q = q.Where("e.reseller_id = ?", c.ResellerID)
	}
	var enrollments []Enrollment
	var agreements []Agreement
	var customers []Customer
	var accounts []*Account // nil: on no account
	if err := scanParts(q, &enrollments, &agreements, &customers, &accounts); err != nil {
		return nil, err
	}
	if len(enrollments) == 0 {
		return nil, ErrNotFound
	}
	shareRows(ctx, s, c, enrollments)
	shareRows(ctx, s, c, agreements)
	shareRows(ctx, s, c, customers)
	if accounts[0] != nil {
		shareRows(ctx, s, c, []Account{*accounts[0]})
	}
	return &enrollments[0], nil
}

// CustomerFilter narrows a customer list.
type CustomerFilter struct {
	ResellerID *int64
	Country    *string
	NameLike   *string
}

func (s *Store) Customers(ctx context.Context, c Caller, f CustomerFilter, p Page) (*List[Customer], error) {
	var like *string
	if f.NameLike != nil {
		pattern := "%" + strings.ToLower(escapeLike(*f.NameLike)) + "%"
		like = &pattern
	}
	// '!' escapes: a backslash in ESCAPE means one character on MySQL and two on SQLite.
	return filtered[Customer](ctx, s, c, p, is("reseller_id = ?", f.ResellerID), is("country = ?", f.Country),
		is("LOWER(organization_name) LIKE ? ESCAPE '!'", like))
}

func escapeLike(s string) string {
	return strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`).Replace(s)
}

// AgreementFilter narrows an agreement list.
type AgreementFilter struct {
	CustomerID *int64
	Program    *licensing.Program
}

func (s *Store) Agreements(ctx context.Context, c Caller, f AgreementFilter, p Page) (*List[Agreement], error) {
	return filtered[Agreement](ctx, s, c, p, is("customer_id = ?", f.CustomerID), is("program = ?", f.Program))
}

// CreateAgreement stores an agreement with its contacts for one of the caller's customers.
func (s *Store) CreateAgreement(ctx context.Context, c Caller, customerID int64, d licensing.AgreementDraft, now time.Time) (*Agreement, error) {
	return createUnder(ctx, s, c, "create agreement", d.Validate(), customerID, "customer", func(tx *Store, cu *Customer) (Agreement, error) {
		a := Agreement{ID: newID(), ResellerID: cu.ResellerID, CustomerID: cu.ID, Program: licensing.Program(d.Program),
			Number: licensing.NormalizeNumber(d.Number), StartDate: d.StartDate, AnniversaryDate: d.AnniversaryDate, CreatedAt: now}
		if err := tx.createNumbered(ctx, &a, "agreement", a.Number); err != nil {
			return a, err
		}
		return a, tx.addContacts(ctx, a, d.Contacts)
	})
}

// addContacts stores the contacts of a new agreement.
func (s *Store) addContacts(ctx context.Context, a Agreement, contacts []licensing.ContactDraft) error {
	for _, cd := range contacts {
		roles := make([]string, len(cd.Roles))
		for i, r := range cd.Roles {
			roles[i] = string(r)
		}
		ct := AgreementContact{ID: newID(), ResellerID: a.ResellerID, AgreementID: a.ID, Name: strings.TrimSpace(cd.Name), Email: cd.Email, Roles: strings.Join(roles, ",")}
		if err := s.ctx(ctx).Create(&ct).Error; err != nil {
			return err
		}
	}
	return nil
}

// ContactsByAgreement loads the contacts of many agreements at once (for dataloaders).
func (s *Store) ContactsByAgreement(ctx context.Context, c Caller, agreementIDs []int64) ([]AgreementContact, error) {
	var rows []AgreementContact
	err := c.scope(s.ctx(ctx)).Where("agreement_id IN ?", agreementIDs).Order("id").Find(&rows).Error
	return rows, err
}

// EnrollmentFilter narrows an enrollment list.
type EnrollmentFilter struct {
	AgreementID *int64
	AccountID   *int64
	Status      *licensing.EnrollmentStatus
}

func (s *Store) Enrollments(ctx context.Context, c Caller, f EnrollmentFilter, p Page) (*List[Enrollment], error) {
	return filtered[Enrollment](ctx, s, c, p, is("agreement_id = ?", f.AgreementID), is("account_id = ?", f.AccountID), is("status = ?", f.Status))
}

// CreateEnrollment stores an enrollment under one of the caller's agreements.
func (s *Store) CreateEnrollment(ctx context.Context, c Caller, agreementID int64, d licensing.EnrollmentDraft, now time.Time) (*Enrollment, error) {
	return createUnder(ctx, s, c, "create enrollment", d.Validate(), agreementID, "agreement", func(tx *Store, a *Agreement) (Enrollment, error) {
		e := Enrollment{ID: newID(), ResellerID: a.ResellerID, AgreementID: a.ID, Number: licensing.NormalizeNumber(d.Number),
			OrganizationName: strings.TrimSpace(d.OrganizationName), OSMName: strings.TrimSpace(d.OSMName), OSMEmail: strings.TrimSpace(d.OSMEmail),
			StartDate: d.StartDate, EndDate: d.EndDate, Status: licensing.EnrollmentActive, CreatedAt: now}
		return e, tx.createNumbered(ctx, &e, "enrollment", e.Number)
	})
}

// createUnder makes an object under one of the caller's parents (an agreement under a customer,
// an enrollment under an agreement): the draft's problems refuse it; otherwise one transaction
// reads the parent and runs create with it. A plain read: parents are never deleted.
func createUnder[P, T any](ctx context.Context, s *Store, c Caller, op string, problems licensing.Problems, parentID int64, parent string,
	create func(tx *Store, p *P) (T, error)) (*T, error) {
	if err := problems.Err(); err != nil {
		return nil, wrap(op, err)
	}
	var out T
	err := s.InTx(ctx, func(tx *Store) error {
		p, err := findFor[P](ctx, tx, c, parentID, parent)
		if err != nil {
			return err
		}
		out, err = create(tx, p)
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return &out, nil
}

// createNumbered inserts a row whose number the unique index keeps single: a duplicate is the
// number taken (licensing.NumberTaken).
func (s *Store) createNumbered(ctx context.Context, row any, what, number string) error {
	err := s.ctx(ctx).Create(row).Error
	if err != nil && isDuplicate(err) {
		return licensing.Problems{licensing.NumberTaken(what, number)}
	}
	return err
}
