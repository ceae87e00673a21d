// Package resolvers maps GraphQL to the store. Resolvers are thin: authenticate, call models/
// (which loads the facts, asks licensing/ for the decision and persists it), map the result.
// A resolver may use licensing's types and constants but never calls one of its functions
// (layering_test.go).
//
// What belongs here: <domain>.resolvers.go, one file per schema file, laid out by gqlgen;
// mapping.go, store rows to the API's types and connections; filters.go, one function per
// GraphQL filter input; inputs.go, one map per GraphQL input type from a refusal's input in
// the domain's words (licensing.Problem.Input) to that type's field path; ids.go, global ids;
// loaders.go, per-request dataloaders; errors.go, GraphQL error codes and the presenter;
// helpers.go, what every resolver of a kind shares (listed, respond, byNumber).
package resolvers

import (
	"time"

	"github.com/licensing-api/licensing-api/models"
)

// Resolver is the root resolver; one per server.
type Resolver struct {
	Store *models.Store
	// Now is the clock used where a request gives no asOf; tests replace it.
	Now func() time.Time
	// GracePeriod is how long a renewed enrollment's subscriptions stay IN_GRACE (R-SUB-3);
	// zero means licensing.DefaultGracePeriod.
	GracePeriod time.Duration
	// KeyDefaults is every key's fair share unless an operator set its own (setApiKeyLimits).
	KeyDefaults models.KeyLimits
	// MaxQueryCost is the most one request may cost; no key's bucket may be smaller.
	MaxQueryCost int
}

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}
