package models

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// Within a query request, reads by id share their rows: a row read (or being read) is not read
// again, a read of several ids reads only those no one holds, a row of another scope is its own,
// and without the memo, or in a transaction, every read reads.
func TestReadMemoSharesReadsByID(t *testing.T) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		now := time.Now()
		ctx := context.Background()
		var ids []int64
		for _, name := range []string{"A", "B", "C"} {
			r, err := s.CreateReseller(ctx, licensing.ResellerDraft{Name: name}, now)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		operator := Caller{Role: RoleOperator}
		var c StatementCounter
		counted := CountStatements(WithReadMemo(ctx), &c)
		if Held[Reseller](counted, s, operator, ids[:1]) {
			t.Fatal("Held before any read")
		}

		// Readers of the same row at once: one statement between them, every reader has the row.
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := byID[Reseller](counted, s, operator, ids[0])
				if err != nil || r.ID != ids[0] || r.Name != "A" {
					t.Errorf("shared read: %+v, %v", r, err)
				}
			}()
		}
		wg.Wait()
		if c.Count() != 1 {
			t.Fatalf("8 readers of one row sent %d statements, want 1", c.Count())
		}
		// Held: every row of the ids read, for the same scope, in the same request's memo.
		if !Held[Reseller](counted, s, operator, ids[:1]) {
			t.Fatal("a row read is not Held")
		}
		if Held[Reseller](counted, s, operator, ids) || Held[Customer](counted, s, operator, ids[:1]) {
			t.Fatal("Held with rows not read (other ids, another type)")
		}
		if Held[Reseller](counted, s, Caller{Role: RoleReseller, ResellerID: ids[0]}, ids[:1]) || Held[Reseller](ctx, s, operator, ids[:1]) {
			t.Fatal("Held in another scope, or without the memo")
		}
		rows, err := byIDs[Reseller](counted, s, operator, ids) // A held: reads B and C only
		if err != nil || len(rows) != 3 {
			t.Fatalf("rows %v, %v", rows, err)
		}
		if c.Count() != 2 {
			t.Fatalf("%d statements after reading three rows, one of them held; want 2", c.Count())
		}
		if _, err := byID[Reseller](counted, s, operator, 1<<40); err != ErrNotFound {
			t.Fatalf("a missing row: %v, want ErrNotFound", err)
		}
		if _, err := byID[Reseller](counted, s, operator, 1<<40); err != ErrNotFound || c.Count() != 3 {
			t.Fatalf("a missing row read again: %v after %d statements; want ErrNotFound, not read again (3)", err, c.Count())
		}

		// Another scope is not the operator's: its read reads, and is scoped.
		cu, err := s.CreateCustomer(ctx, operator, &ids[0], licensing.CustomerDraft{OrganizationName: "Contoso", Country: "US"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := byID[Customer](counted, s, operator, cu.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := byID[Customer](counted, s, Caller{Role: RoleReseller, ResellerID: ids[1]}, cu.ID); err != ErrNotFound {
			t.Fatalf("another reseller's customer read by a reseller after the operator read it: %v, want ErrNotFound", err)
		}
		if c.Count() != 5 {
			t.Fatalf("a reseller's read after the operator's: %d statements, want 5", c.Count())
		}

		// A transaction reads for itself.
		err = s.InTx(counted, func(tx *Store) error {
			if Held[Reseller](counted, tx, operator, ids[:1]) {
				t.Error("Held in a transaction")
			}
			_, err := byID[Reseller](counted, tx, operator, ids[0])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if c.Count() < 6 {
			t.Fatalf("a transaction's read was served from the request's memo (%d statements)", c.Count())
		}

		// Without the memo (a mutation's request), every read reads.
		var plain StatementCounter
		unshared := CountStatements(ctx, &plain)
		for range 2 {
			if _, err := byID[Reseller](unshared, s, operator, ids[0]); err != nil {
				t.Fatal(err)
			}
		}
		if plain.Count() != 2 {
			t.Fatalf("without the memo: %d statements for two reads, want 2", plain.Count())
		}
	})
}

// AgreementsWithCustomers reads agreements and their customers in one statement, scoped to the
// caller (another reseller's agreement is missing, and so is its customer), and shares the
// customers with the request's later reads by id; a read sharing an agreement another read
// brought still gets its customer. EnrollmentByNumber reads the enrollment's agreement and
// customer with it in the same way.
func TestAgreementsWithCustomersJoinedAndShared(t *testing.T) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		now := time.Now()
		ctx := context.Background()
		type world struct {
			c          Caller
			customer   *Customer
			agreements []int64
		}
		var worlds []world
		for _, name := range []string{"A", "B"} {
			r, err := s.CreateReseller(ctx, licensing.ResellerDraft{Name: name}, now)
			if err != nil {
				t.Fatal(err)
			}
			w := world{c: Caller{Role: RoleReseller, ResellerID: r.ID}}
			if w.customer, err = s.CreateCustomer(ctx, w.c, nil, licensing.CustomerDraft{OrganizationName: "Contoso " + name, Country: "US"}, now); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"EA-1", "EA-2"} {
				a, err := s.CreateAgreement(ctx, w.c, w.customer.ID, licensing.AgreementDraft{Program: "ENTERPRISE", Number: n,
					StartDate: licensing.DateOf(now), AnniversaryDate: licensing.DateOf(now.AddDate(1, 0, 0)), Contacts: []licensing.ContactDraft{
						{Name: "Vic", Email: "vic@contoso.com", Roles: []licensing.ContactRole{licensing.RoleVLSCAdministrator}}}}, now)
				if err != nil {
					t.Fatal(err)
				}
				w.agreements = append(w.agreements, a.ID)
			}
			worlds = append(worlds, w)
		}
		a, b := worlds[0], worlds[1]

		var c StatementCounter
		counted := CountStatements(WithReadMemo(ctx), &c)
		agreements, customers, err := s.AgreementsWithCustomers(counted, a.c, append(a.agreements, b.agreements...))
		if err != nil {
			t.Fatal(err)
		}
		if len(agreements) != 2 || len(customers) != 1 || customers[0].ID != a.customer.ID || customers[0].OrganizationName != "Contoso A" || customers[0].ResellerID != a.c.ResellerID {
			t.Fatalf("reseller A's read of both resellers' agreements: %+v with customers %+v; want A's two agreements and A's customer once", agreements, customers)
		}
		for _, ag := range agreements {
			if ag.ResellerID != a.c.ResellerID || ag.CustomerID != a.customer.ID || ag.Program != licensing.ProgramEnterprise {
				t.Fatalf("agreement scanned wrongly from the joined row: %+v", ag)
			}
		}
		if c.Count() != 1 {
			t.Fatalf("%d statements, want 1 (the joined read)", c.Count())
		}
		if cu, err := byID[Customer](counted, s, a.c, a.customer.ID); err != nil || cu.OrganizationName != "Contoso A" || c.Count() != 1 {
			t.Fatalf("the customer read by id after the joined read: %+v, %v, %d statements; want it shared (1 statement)", cu, err, c.Count())
		}
		if _, err := byID[Customer](counted, s, a.c, b.customer.ID); err != ErrNotFound {
			t.Fatalf("another reseller's customer: %v, want ErrNotFound", err)
		}

		// An agreement another read of the request brought without its customer: the joined read
		// shares the agreement and reads only the customer.
		var d StatementCounter
		fresh := CountStatements(WithReadMemo(ctx), &d)
		if _, err := byID[Agreement](fresh, s, b.c, b.agreements[0]); err != nil {
			t.Fatal(err)
		}
		agreements, customers, err = s.AgreementsWithCustomers(fresh, b.c, b.agreements[:1])
		if err != nil || len(agreements) != 1 || len(customers) != 1 || customers[0].ID != b.customer.ID {
			t.Fatalf("joined read of a shared agreement: %+v, %+v, %v", agreements, customers, err)
		}
		if d.Count() != 2 {
			t.Fatalf("%d statements, want 2 (the agreement, then its customer)", d.Count())
		}

		// An enrollment by number comes with its agreement and customer in one statement within
		// a query request, scoped like the plain read.
		e, err := s.CreateEnrollment(ctx, a.c, a.agreements[1], licensing.EnrollmentDraft{Number: "ENR-1", OrganizationName: "Contoso",
			OSMName: "Olivia", OSMEmail: "olivia@contoso.com", StartDate: licensing.DateOf(now), EndDate: licensing.DateOf(now.AddDate(2, 0, 0))}, now)
		if err != nil {
			t.Fatal(err)
		}
		var n StatementCounter
		request := CountStatements(WithReadMemo(ctx), &n)
		got, err := s.EnrollmentByNumber(request, a.c, " enr-1")
		if err != nil || got.ID != e.ID || got.AgreementID != a.agreements[1] || got.OSMEmail != "olivia@contoso.com" {
			t.Fatalf("enrollment by number with its parents: %+v, %v; want %+v", got, err, e)
		}
		ag, err := byID[Agreement](request, s, a.c, got.AgreementID)
		if err != nil || ag.Number != "EA-2" {
			t.Fatalf("its agreement: %+v, %v", ag, err)
		}
		agreements, customers, err = s.AgreementsWithCustomers(request, a.c, []int64{got.AgreementID})
		if err != nil || len(agreements) != 1 || len(customers) != 1 || customers[0].OrganizationName != "Contoso A" || n.Count() != 1 {
			t.Fatalf("its agreement and customer after the joined read: %+v, %+v, %v, %d statements; want them shared (1 statement)", agreements, customers, err, n.Count())
		}
		if _, err := s.EnrollmentByNumber(request, b.c, "ENR-1"); err != ErrNotFound {
			t.Fatalf("another reseller's enrollment by number: %v, want ErrNotFound", err)
		}

		// On an account, the enrollment comes with it too (a LEFT JOIN: scanParts' optional
		// part), every column as stored, and the request's read of the account by id shares it.
		acct, err := s.CreateAccount(ctx, a.c, a.customer.ID, licensing.AccountDraft{Name: "Contoso EU", Country: "DE"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.db.Model(&Enrollment{}).Where("id = ?", e.ID).Update("account_id", acct.ID).Error; err != nil {
			t.Fatal(err)
		}
		var stored Account
		if err := s.db.Take(&stored, acct.ID).Error; err != nil {
			t.Fatal(err)
		}
		var m StatementCounter
		onAccount := CountStatements(WithReadMemo(ctx), &m)
		if got, err = s.EnrollmentByNumber(onAccount, a.c, "ENR-1"); err != nil || got.AccountID == nil || *got.AccountID != acct.ID {
			t.Fatalf("enrollment on an account by number: %+v, %v", got, err)
		}
		shared, err := byID[Account](onAccount, s, a.c, acct.ID)
		if err != nil || *shared != stored || m.Count() != 1 {
			t.Fatalf("its account: %+v, %v, %d statements; want %+v in 1 statement", shared, err, m.Count(), stored)
		}
		if _, err := s.EnrollmentByNumber(ctx, b.c, "ENR-1"); err != ErrNotFound {
			t.Fatalf("another reseller's enrollment by number, outside a request: %v, want ErrNotFound", err)
		}
	})
}
