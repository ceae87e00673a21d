// Package resolvers maps GraphQL to the store and the licensing rules. Resolvers are thin:
// authenticate, call models/ (which asks licensing/), map the result.
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
