package resolvers

import (
	"context"

	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
)

// respond builds a mutation payload: userErrors for a refusal (nothing was written), a GraphQL
// error for anything else, the built payload on success.
func respond[P any](err error, build func(ue []*model.UserError) P) (P, error) {
	ue, err := payloadErrors(err)
	if err != nil {
		var zero P
		return zero, err
	}
	if ue == nil {
		ue = []*model.UserError{}
	}
	return build(ue), nil
}

// readPage authenticates a list query and reads its page arguments.
func readPage(ctx context.Context, first *int, after *string) (models.Caller, models.Page, error) {
	c, err := reader(ctx)
	if err != nil {
		return c, models.Page{}, err
	}
	p, err := page(first, after)
	return c, p, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func agreementDraft(in model.CreateAgreementInput) licensing.AgreementDraft {
	d := licensing.AgreementDraft{Program: in.Program, Number: in.Number, StartDate: in.StartDate, AnniversaryDate: in.AnniversaryDate}
	for _, c := range in.Contacts {
		cd := licensing.ContactDraft{Name: c.Name, Email: c.Email}
		for _, r := range c.Roles {
			cd.Roles = append(cd.Roles, licensing.ContactRole(r))
		}
		d.Contacts = append(d.Contacts, cd)
	}
	return d
}

func accountDraft(in model.CreateAccountInput) licensing.AccountDraft {
	d := licensing.AccountDraft{Name: in.Name, Country: in.Country, Domains: in.VerifiedDomains, Users: userDrafts(in.Users)}
	for _, a := range in.Administrators {
		d.Admins = append(d.Admins, licensing.AdminDraft{Name: a.Name, Email: a.Email, Role: licensing.AdminRole(a.Role)})
	}
	return d
}

func userDrafts(in []*model.AccountUserInput) []licensing.UserDraft {
	out := make([]licensing.UserDraft, len(in))
	for i, u := range in {
		out[i] = licensing.UserDraft{UserName: u.UserName, DisplayName: deref(u.DisplayName)}
	}
	return out
}

// mapNode maps any object the store's Node lookup returns.
func mapNode(v any) model.Node {
	switch o := v.(type) {
	case *models.Reseller:
		return mapReseller(o)
	case *models.Customer:
		return mapCustomer(o)
	case *models.Agreement:
		return mapAgreement(o)
	case *models.Enrollment:
		return mapEnrollment(o)
	case *models.Account:
		return mapAccount(o)
	case *models.AccountUser:
		return mapAccountUser(o)
	}
	return nil
}

// skuPage reads first/after for the catalog, whose cursor is the SKU code.
func skuPage(first *int, after *string) (models.SKUPage, error) {
	p := models.SKUPage{First: 100}
	if first != nil {
		if *first < 1 || *first > maxPage {
			return p, errBadInput("first", "first must be between 1 and 100")
		}
		p.First = *first
	}
	if after != nil {
		p.After = *after
	}
	return p, nil
}

func skuConnection(l *models.List[models.SKU]) *model.SkuConnection {
	out := &model.SkuConnection{PageInfo: &model.PageInfo{HasNextPage: l.HasNext}, TotalCount: int(l.Total), Edges: []*model.SkuEdge{}}
	for i := range l.Items {
		out.Edges = append(out.Edges, &model.SkuEdge{Node: mapSKU(&l.Items[i]), Cursor: l.Items[i].Code})
	}
	if n := len(out.Edges); n > 0 {
		out.PageInfo.StartCursor, out.PageInfo.EndCursor = &out.Edges[0].Cursor, &out.Edges[n-1].Cursor
	}
	return out
}
