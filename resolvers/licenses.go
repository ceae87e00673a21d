package resolvers

import (
	"context"
	"strconv"

	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
)

// Mapping and paging for license assignments, conflicts and summaries (R-LIC, R-BI).

func mapAccountLicense(sku string, row licensing.SummaryRow) *model.AccountLicense {
	return &model.AccountLicense{SKUCode: sku, Licensed: row.Licensed, Pending: row.Pending, InGrace: row.InGrace, Assigned: row.Assigned, Available: row.Available()}
}

func mapConflict(c licensing.Conflict) *model.LicenseConflict {
	out := &model.LicenseConflict{SKUCode: c.SKU, Licensed: c.Licensed, Pending: c.Pending, InGrace: c.InGrace, Assigned: c.Assigned, Deficit: c.Deficit,
		AffectedUsers: nonNil(c.AffectedUsers), Resolutions: []*model.ConflictResolution{}}
	for _, r := range c.Resolutions {
		res := &model.ConflictResolution{Kind: model.ResolutionKind(r.Kind), Message: r.Message, SubscriptionIds: []string{},
			SKUCodes: r.SKUs, AvailableAt: r.AvailableAt}
		switch r.Kind {
		case licensing.ResolutionBuyMore, licensing.ResolutionRenewSubscription, licensing.ResolutionAwaitPending:
			n := r.NewTotal
			res.NewTotal = &n
		case licensing.ResolutionRemoveLicenses, licensing.ResolutionAssignNewSKU:
			n := r.UserCount
			res.UserCount = &n
		}
		for _, id := range r.SubscriptionIDs {
			res.SubscriptionIds = append(res.SubscriptionIds, globalID("Subscription", id))
		}
		out.Resolutions = append(out.Resolutions, res)
	}
	return out
}

// accountConflictConnection pages by account, the order the store lists conflicts in.
var accountConflictConnection = pager[model.AccountConflictConnection, model.AccountConflictEdge](
	func(r *models.AccountConflictSummary) int64 { return r.AccountID },
	func(r *models.AccountConflictSummary) *model.AccountConflictSummary {
		return &model.AccountConflictSummary{AccountID: r.AccountID, SkusInConflict: r.SKUsInConflict, Deficit: r.Deficit}
	})

// licenseChange runs assignLicenses or removeLicenses.
func (r *Resolver) licenseChange(ctx context.Context, in inputFields, accountGID string, act func(models.Caller, int64) (*models.AssignmentResult, error)) (*model.LicenseAssignmentPayload, error) {
	return accountChange(ctx, r, in, accountGID, act, func(res *models.AssignmentResult, a *models.Account, ue []*model.UserError) *model.LicenseAssignmentPayload {
		if res == nil {
			return &model.LicenseAssignmentPayload{ChangedUsers: []string{}, UserErrors: ue}
		}
		lic := mapAccountLicense(res.SKU, res.Row())
		return &model.LicenseAssignmentPayload{Account: mapAccount(a), License: lic, ChangedUsers: nonNil(res.Changed), UserErrors: ue}
	})
}

// changedAccount is what a change to an account's users or licenses made, and the account after it.
type changedAccount[T any] struct {
	res     *T
	account *models.Account
}

// accountChange runs a change to the users or licenses of the account the input names; its
// payload shows the account after the change.
func accountChange[T, P any](ctx context.Context, r *Resolver, in inputFields, accountGID string, act func(models.Caller, int64) (*T, error),
	build func(*T, *models.Account, []*model.UserError) P) (P, error) {
	return actOn(ctx, writer, in, accountRef(accountGID), func(c models.Caller, accountID int64) (changedAccount[T], error) {
		res, err := act(c, accountID)
		ch := changedAccount[T]{res: res}
		if res != nil {
			ch.account, _ = r.Store.Account(ctx, c, accountID) // shown when readable; the change stands anyway
		}
		return ch, err
	}, func(ch changedAccount[T], ue []*model.UserError) P { return build(ch.res, ch.account, ue) })
}

// summaryPage reads first/after of licenseSummary; its cursor is an opaque group position.
func summaryPage(first *int, after *string) (models.SummaryPage, error) {
	n, cur, err := pageArgs(first, after, 100, "g:")
	p := models.SummaryPage{First: n}
	if err == nil && cur != "" {
		if p.Offset, err = strconv.Atoi(cur); err != nil || p.Offset < 0 {
			p.Offset, err = 0, errBadCursor()
		}
	}
	return p, err
}

func summaryFilter(f *model.LicenseSummaryFilter) models.SummaryFilter {
	var out models.SummaryFilter
	if f == nil {
		return out
	}
	ids := func(gids []string, typ string) []int64 {
		var res []int64
		for _, g := range gids {
			if t, id, ok := parseGlobalID(g); ok && t == typ {
				res = append(res, id)
			} else {
				res = append(res, 0) // matches nothing, like a missing object
			}
		}
		return res
	}
	out.ResellerIDs, out.CustomerIDs, out.AgreementIDs = ids(f.ResellerIds, "Reseller"), ids(f.CustomerIds, "Customer"), ids(f.AgreementIds, "Agreement")
	out.EnrollmentIDs, out.AccountIDs, out.SKUs = ids(f.EnrollmentIds, "Enrollment"), ids(f.AccountIds, "Account"), f.Skus
	for _, p := range f.Programs {
		out.Programs = append(out.Programs, licensing.Program(p))
	}
	for _, fam := range f.Families {
		out.Families = append(out.Families, licensing.Family(fam))
	}
	return out
}

// summaryConnection pages by position: the cursor is the group's offset in the summary's order.
func summaryConnection(res *models.SummaryResult, p models.SummaryPage) *model.LicenseSummaryConnection {
	e, pi := edges[model.LicenseSummaryEdge](res.Groups, mapSummaryRow, func(i int, _ *models.SummaryGroupRow) string {
		return encodeCursor("g:", strconv.Itoa(p.Offset+i+1))
	}, res.HasNext)
	return toConnection[model.LicenseSummaryConnection](e, pi, res.TotalGroups)
}

func mapSummaryRow(g *models.SummaryGroupRow) *model.LicenseSummaryRow {
	return &model.LicenseSummaryRow{ResellerID: g.ResellerID, CustomerID: g.CustomerID, AgreementID: g.AgreementID, EnrollmentID: g.EnrollmentID,
		AccountID: g.AccountID, SKUCode: g.SKU, Licensed: g.Licensed, Pending: g.Pending, InGrace: g.InGrace, ReservedNotBilled: g.ReservedNotBilled,
		Assigned: g.Assigned, Available: g.Available(), Program: (*model.Program)(g.Program), Family: (*model.Family)(g.Family)}
}
