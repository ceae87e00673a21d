package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Pages of children for many parents in one statement: the nested connection of a list (each
// enrollment's subscriptions, each agreement's enrollments) read for the whole list at once, so
// a request's statements depend on the shape of its query, not on the size of its pages (issue
// 11). Rows are numbered within their parent by id (window functions, which MariaDB, MySQL 8 and
// SQLite have), and each carries its parent's count, so the totals come with the pages.

// pagedRow is one row of listsByParent: the child, its parent and its parent's count of children.
type pagedRow[T any] struct {
	Row    T     `gorm:"embedded"`
	Parent int64 `gorm:"column:parent_"`
	Total  int64 `gorm:"column:total_"`
}

// listsByParent reads, for each parent, the page p of the caller's rows of T whose column parent
// is that parent, ordered by id as list orders them.
func listsByParent[T any](ctx context.Context, s *Store, c Caller, parent string, parents []int64, p Page) (map[int64]*List[T], error) {
	parents = unique(parents)
	if len(parents) == 0 {
		return map[int64]*List[T]{}, nil
	}
	rows, err := scanAll[pagedRow[T]](pagesQuery[T](ctx, s, c, parent, parents, p))
	if err != nil {
		return nil, err
	}
	return listsOf(ctx, s, c, parent, parents, p, rows)
}

// pagesQuery selects the rows of listsByParent (pagedRow[T]'s columns; more that it ignores), in
// parent and id order.
func pagesQuery[T any](ctx context.Context, s *Store, c Caller, parent string, parents []int64, p Page) *gorm.DB {
	counted := func(db *gorm.DB) *gorm.DB {
		return c.scope(db.Model(new(T))).Where(parent+" IN ?", parents).Select("*, " + parent + " AS parent_, COUNT(*) OVER (PARTITION BY " + parent + ") AS total_")
	}
	if len(parents) == 1 && p.After == 0 {
		// One parent's first page (a single object's nested connection): no numbering, and the
		// count over the rows before the LIMIT; about two thirds of the database's work of the
		// nested form below on MariaDB. One shape, so prepared.
		return counted(s.preparedRead(ctx)).Order("id").Limit(p.First + 1)
	}
	numbered := s.ctx(ctx).Table("(?) AS counted", counted(s.ctx(ctx))).Select("counted.*, ROW_NUMBER() OVER (PARTITION BY parent_ ORDER BY id) AS n_")
	if p.After != 0 {
		numbered = numbered.Where("id > ?", p.After)
	}
	return s.ctx(ctx).Table("(?) AS numbered", numbered).Where("n_ <= ?", p.First+1).Order("parent_, id")
}

// listsOf groups the rows pagesQuery read into each parent's page, and counts the children of
// the parents that have no row past the cursor.
func listsOf[T any](ctx context.Context, s *Store, c Caller, parent string, parents []int64, p Page, rows []pagedRow[T]) (map[int64]*List[T], error) {
	out := make(map[int64]*List[T], len(parents))
	for _, id := range parents {
		out[id] = &List[T]{}
	}
	var unseen []int64 // parents with no row past the cursor still have a count
	for _, r := range rows {
		l := out[r.Parent]
		l.Total = r.Total
		if len(l.Items) == p.First {
			l.HasNext = true
			continue
		}
		l.Items = append(l.Items, r.Row)
	}
	for _, id := range parents {
		if p.After != 0 && len(out[id].Items) == 0 {
			unseen = append(unseen, id)
		}
	}
	if len(unseen) == 0 {
		return out, nil
	}
	var counts []struct {
		Parent int64 `gorm:"column:parent_"`
		Total  int64 `gorm:"column:total_"`
	}
	err := c.scope(s.ctx(ctx).Model(new(T))).Select(parent+" AS parent_, COUNT(*) AS total_").Where(parent+" IN ?", unseen).Group(parent).Scan(&counts).Error
	for _, c := range counts {
		out[c.Parent].Total = c.Total
	}
	return out, err
}

// EnrollmentsByAgreements is Enrollments of each agreement, for a list of agreements.
func (s *Store) EnrollmentsByAgreements(ctx context.Context, c Caller, agreementIDs []int64, p Page) (map[int64]*List[Enrollment], error) {
	return listsByParent[Enrollment](ctx, s, c, "agreement_id", agreementIDs, p)
}

// EnrollmentsByAccounts is Enrollments of each account, for a list of accounts.
func (s *Store) EnrollmentsByAccounts(ctx context.Context, c Caller, accountIDs []int64, p Page) (map[int64]*List[Enrollment], error) {
	return listsByParent[Enrollment](ctx, s, c, "account_id", accountIDs, p)
}

// AgreementsByCustomers is Agreements of each customer, for a list of customers.
func (s *Store) AgreementsByCustomers(ctx context.Context, c Caller, customerIDs []int64, p Page) (map[int64]*List[Agreement], error) {
	return listsByParent[Agreement](ctx, s, c, "customer_id", customerIDs, p)
}

// AccountsByCustomers is Accounts of each customer, for a list of customers.
func (s *Store) AccountsByCustomers(ctx context.Context, c Caller, customerIDs []int64, p Page) (map[int64]*List[Account], error) {
	return listsByParent[Account](ctx, s, c, "customer_id", customerIDs, p)
}

// AccountUsersByAccounts is AccountUsers of each account, for a list of accounts.
func (s *Store) AccountUsersByAccounts(ctx context.Context, c Caller, accountIDs []int64, p Page) (map[int64]*List[AccountUser], error) {
	return listsByParent[AccountUser](ctx, s, c, "account_id", accountIDs, p)
}

// ActivationEmailsByEnrollments is ActivationEmails of each enrollment, for a list of enrollments.
func (s *Store) ActivationEmailsByEnrollments(ctx context.Context, c Caller, enrollmentIDs []int64, p Page) (map[int64]*List[ActivationEmail], error) {
	return listsByParent[ActivationEmail](ctx, s, c, "enrollment_id", enrollmentIDs, p)
}

// SubscriptionsByEnrollments is Subscriptions of each enrollment as of asOf, for a list of
// enrollments: the pages with the changes of their subscriptions that a view as of asOf reads
// (viewsAsOf), in one statement.
func (s *Store) SubscriptionsByEnrollments(ctx context.Context, c Caller, enrollmentIDs []int64, asOf time.Time, p Page) (map[int64]*List[SubscriptionView], error) {
	enrollmentIDs = unique(enrollmentIDs)
	if len(enrollmentIDs) == 0 {
		return map[int64]*List[SubscriptionView]{}, nil
	}
	var q *gorm.DB
	one := len(enrollmentIDs) == 1 && p.After == 0
	if one {
		// One enrollment's first page (the detail page's): all its subscriptions, which are at most
		// one per SKU of the catalog (a unique key), so no window needs to number and count them:
		// the page and the count are taken below. About two thirds of the database's work of the
		// windowed form on MariaDB. One shape, so prepared.
		q = s.preparedRead(ctx).Table("subscriptions AS pg").Select("pg.*, pg.enrollment_id AS parent_, 0 AS total_, 0 AS "+pairSplit+", ch.*").
			Where("pg.enrollment_id = ?", enrollmentIDs[0])
		if !c.AllResellers() {
			q = q.Where("pg.reseller_id = ?", c.ResellerID)
		}
	} else {
		q = s.ctx(ctx).Table("(?) AS pg", pagesQuery[Subscription](ctx, s, c, "enrollment_id", enrollmentIDs, p)).Select("pg.*, 0 AS " + pairSplit + ", ch.*")
	}
	q = q.Joins("LEFT JOIN subscription_changes ch ON ch.reseller_id = pg.reseller_id AND ch.subscription_id = pg.id AND "+changesAsOf("ch"), asOf, CauseRenewal).
		Order("pg.enrollment_id, pg.id, ch.effective_at, ch.id")
	var joined []pagedRow[Subscription]
	var changes []*SubscriptionChange // nil: a subscription with none
	if err := scanParts(q, &joined, &changes); err != nil {
		return nil, err
	}
	var rows []pagedRow[Subscription] // one per subscription
	var read []SubscriptionChange
	for i, r := range joined {
		if n := len(rows); n == 0 || rows[n-1].Row.ID != r.Row.ID {
			rows = append(rows, r)
		}
		if changes[i] != nil {
			read = append(read, *changes[i])
		}
	}
	if one {
		for i := range rows {
			rows[i].Total = int64(len(rows))
		}
	}
	pages, err := listsOf(ctx, s, c, "enrollment_id", enrollmentIDs, p, rows)
	if err != nil {
		return nil, err
	}
	var all []Subscription
	for _, id := range enrollmentIDs {
		all = append(all, pages[id].Items...)
	}
	views, err := s.viewsOf(ctx, all, read, asOf)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*List[SubscriptionView], len(pages))
	i := 0
	for _, id := range enrollmentIDs {
		l := pages[id]
		out[id] = &List[SubscriptionView]{Items: views[i : i+len(l.Items)], HasNext: l.HasNext, Total: l.Total}
		i += len(l.Items)
	}
	return out, nil
}

// unique drops repeated ids, keeping the first of each.
func unique(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
