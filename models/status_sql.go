package models

import (
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// SQL shared by the conflict list and the summary: a subscription's status and account, and a
// builder for raw statements.

// Status codes of statusSQL.
const (
	stActive        = "0"
	stInGrace       = "1"
	stExpired       = "2" // past its end date with auto-renew off (R-SUB-5)
	stCancelled     = "3" // cancelled (R-SUB-6): EXPIRED too, but not offered for renewal
	stDeprovisioned = "4"
	// stPendingPart marks a row of the pool aggregate that carries an ACTIVE subscription's
	// pending part (R-ORD-5), not a status of its own.
	stPendingPart = "5"
)

// accountOfSubSQL is the account a subscription's licenses are on (AccountOfSubscription),
// for a subscription s LEFT JOINed to its enrollment e.
const accountOfSubSQL = `CASE WHEN s.enrollment_id IS NOT NULL THEN e.account_id ELSE s.direct_account_id END`

type sqlFragment struct {
	sql  string
	args []any
}

// statusSQL mirrors licensing.SubscriptionTerm.StatusAt as a SQL expression on the subscription
// alias a, as of asOf, in the same order of precedence: a cancellation stands (R-SUB-6);
// then grace from the renewal (R-SUB-2) until deprovisioned (R-SUB-3); then past the end
// date with auto-renew off, which is "asOf's day after end_date" (R-SUB-5); else ACTIVE. The
// summary and the conflict list use it; their random-data test checks it with them.
// Instants and the day are parameters: no database clock, no date functions.
func statusSQL(a string, asOf time.Time) sqlFragment {
	asOf = asOf.UTC()
	return sqlFragment{
		sql: `(CASE WHEN ` + a + `.cancelled_at IS NOT NULL AND ` + a + `.cancelled_at <= ? THEN ` + stCancelled + `
			WHEN ` + a + `.grace_from IS NOT NULL AND ` + a + `.grace_from <= ? THEN
				(CASE WHEN ` + a + `.grace_until IS NOT NULL AND ` + a + `.grace_until <= ? THEN ` + stDeprovisioned + ` ELSE ` + stInGrace + ` END)
			WHEN ` + a + `.auto_renew = ? AND ` + a + `.end_date IS NOT NULL AND ` + a + `.end_date < ? THEN ` + stExpired + `
			ELSE ` + stActive + ` END)`,
		args: []any{asOf, asOf, asOf, false, licensing.DateOf(asOf)},
	}
}

// sqlBuilder assembles one raw statement and its positional arguments in order.
type sqlBuilder struct {
	strings.Builder
	args []any
}

// add appends SQL text and the arguments of its placeholders.
func (b *sqlBuilder) add(sql string, args ...any) {
	b.WriteString(sql)
	b.args = append(b.args, args...)
}

// inList keeps the rows whose col is one of vals, when vals is not empty (a filter's list).
func inList[T any](b *sqlBuilder, col string, vals []T) {
	if len(vals) > 0 {
		b.add(" AND "+col+" IN ?", vals)
	}
}

// scope is Caller.scope for raw SQL: the caller's reseller on the column prefix+reseller_id.
func (b *sqlBuilder) scope(c Caller, prefix string) {
	if !c.AllResellers() {
		b.add(" AND "+prefix+"reseller_id = ?", c.ResellerID)
	}
}
