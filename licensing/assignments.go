package licensing

import "fmt"

// License assignments (R-LIC-1, R-LIC-5, R-LIC-6): the pool of a SKU on an account and the
// decisions to assign, remove and lower.

const (
	CodeNotEnoughLicenses    Code = "NOT_ENOUGH_LICENSES"     // an assignment past the licensed quantity (R-LIC-1)
	CodeDataLossNotConfirmed Code = "DATA_LOSS_NOT_CONFIRMED" // removing a license without confirming data loss (R-LIC-5)
	CodeBelowAssigned        Code = "BELOW_ASSIGNED"          // lowering a quantity below what is assigned (R-LIC-6)
)

// SKUHoldings is one licence pool: a SKU on one account, where users are assigned (R-ENR-2).
type SKUHoldings struct {
	SKU           string
	Subscriptions []HeldSubscription
	// AssignedUsers holds each user once, ordered by assignment time ascending (ties by
	// user id), so that "the most recently assigned" is well defined and output is stable.
	AssignedUsers []string
	// Replacements are the SKUs that replaced this one when an enrollment holding it was
	// renewed onto other SKUs (SplitRenewedSKUs: its newOnly for this reassign SKU), ascending.
	// A user who holds one of them keeps access when this SKU's grace period ends (R-SUB-4).
	Replacements []string
}

// NewAssignees returns the requested users who do not hold the SKU yet, each once, in
// request order: re-assigning a user who already holds it uses no further license
// (DecideAssignment).
func NewAssignees(requested []string, alreadyAssigned map[string]bool) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, u := range requested {
		if alreadyAssigned[u] || seen[u] {
			continue
		}
		seen[u] = true
		out = append(out, u)
	}
	return out
}

// R-LIC-1: DecideAssignment refuses assigning requestedNew more licenses of sku when that would
// pass licensed, the ACTIVE quantity on the account (LicensedQuantityAt), naming how many are
// missing. Licenses still pending (R-ORD-5) are not on the account yet and cannot be assigned;
// the message says how many are pending. Count requestedNew with NewAssignees. Under concurrent
// assignment the model layer must take the count and insert in one serialized step (lock the
// pool or insert conditionally) so two requests cannot both pass this check. Input {"users"}.
func DecideAssignment(sku string, licensed, pending, alreadyAssigned, requestedNew int) *Problem {
	if requestedNew <= 0 {
		return nil
	}
	missing := alreadyAssigned + requestedNew - licensed
	if missing <= 0 {
		return nil
	}
	verb := "are"
	if missing == 1 {
		verb = "is"
	}
	msg := fmt.Sprintf("%d more %s of %s %s needed: %d licensed, %d assigned, %d requested",
		missing, plural(missing, "license", "licenses"), sku, verb, licensed, alreadyAssigned, requestedNew)
	if pending > 0 {
		msg += fmt.Sprintf("; %d more %s still pending and cannot be assigned until available", pending, plural(pending, "is", "are"))
	}
	return &Problem{Input: []string{"users"}, Code: CodeNotEnoughLicenses, Message: msg}
}

// R-LIC-5: DecideRemoval: removing a license deletes the user's data for it, so it needs
// confirmDataLoss. Deleting a user is not refused here: the model layer deletes the user's
// assignments with the user, which frees their licenses. Input {"dataLossConfirmed"}.
func DecideRemoval(confirmDataLoss bool) *Problem {
	if confirmDataLoss {
		return nil
	}
	return &Problem{Input: []string{"dataLossConfirmed"}, Code: CodeDataLossNotConfirmed, Message: "removing a license deletes the user's data for that license; set confirmDataLoss to true to proceed"}
}

// R-LIC-6: DecideQuantityLowering refuses lowering a quantity (Lowers) so that newLicensed, the
// SKU's ACTIVE quantity on the account after the change (all its subscriptions, not only the
// one lowered), falls below assigned, unless acceptConflict. The message names the deficit.
// Input {"total"}.
func DecideQuantityLowering(sku string, newLicensed, assigned int, acceptConflict bool) *Problem {
	deficit := assigned - newLicensed
	if deficit <= 0 || acceptConflict {
		return nil
	}
	return &Problem{Input: []string{"total"}, Code: CodeBelowAssigned, Message: fmt.Sprintf(
		"%s would have %d %s for %d assigned users, a deficit of %d: %d %s would be in conflict; remove licenses first or set acceptConflict to true",
		sku, newLicensed, plural(newLicensed, "license", "licenses"), assigned, deficit,
		deficit, plural(deficit, "user", "users"))}
}

// Lowers tells whether changing a subscription's quantity from one total to another lowers it:
// only a lowering is DecideQuantityLowering's to refuse, so a raise passes even while the pool
// is in conflict (it only makes the conflict smaller).
func Lowers(from, to int) bool { return to < from }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func distinct(users []string) []string {
	out := make([]string, 0, len(users))
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}
