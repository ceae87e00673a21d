package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/licensing-api/licensing-api/licensing"
)

// The hand-written implementations the API is measured against: database/sql with the fewest
// statements a person would write, the same rules (package licensing) and the same JSON.

// listPageQuery is the front-end's enrollment list: a page of enrollments with their agreement,
// customer and a page of subscriptions each.
const listPageQuery = `query List($first: Int!) { enrollments(first: $first) { totalCount edges { cursor node { id number organizationName status
  agreement { id number program customer { id organizationName } }
  subscriptions(first: 20) { totalCount edges { node { id sku { code } status quantity } } } } } } }`

type rawList struct {
	db       *sql.DB
	reseller int64
}

func gid(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

func cursorOf(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c:" + strconv.FormatInt(id, 10)))
}

// The response, field for field in the query's order.
type (
	listData struct {
		Data struct {
			Enrollments struct {
				TotalCount int        `json:"totalCount"`
				Edges      []listEdge `json:"edges"`
			} `json:"enrollments"`
		} `json:"data"`
	}
	listEdge struct {
		Cursor string   `json:"cursor"`
		Node   listNode `json:"node"`
	}
	listNode struct {
		ID               string `json:"id"`
		Number           string `json:"number"`
		OrganizationName string `json:"organizationName"`
		Status           string `json:"status"`
		Agreement        struct {
			ID       string `json:"id"`
			Number   string `json:"number"`
			Program  string `json:"program"`
			Customer struct {
				ID               string `json:"id"`
				OrganizationName string `json:"organizationName"`
			} `json:"customer"`
		} `json:"agreement"`
		Subscriptions struct {
			TotalCount int       `json:"totalCount"`
			Edges      []subEdge `json:"edges"`
		} `json:"subscriptions"`
	}
	subEdge struct {
		Node subNode `json:"node"`
	}
	// subNode is what both raw handlers answer of a subscription (the detail adds its parts).
	subNode struct {
		ID  string `json:"id"`
		Sku struct {
			Code string `json:"code"`
		} `json:"sku"`
		Status   string `json:"status"`
		Quantity int    `json:"quantity"`
	}
)

func (h rawList) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Variables struct {
			First int `json:"first"`
		} `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Variables.First < 1 || req.Variables.First > 100 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	out, err := h.page(r.Context(), req.Variables.First, time.Now().UTC())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// page answers the list page in four statements: the count, the page with agreements and
// customers, the subscriptions' pages with their counts, their quantities.
func (h rawList) page(ctx context.Context, first int, now time.Time) (*listData, error) {
	var out listData
	e := &out.Data.Enrollments
	if err := h.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM enrollments WHERE reseller_id = ?", h.reseller).Scan(&e.TotalCount); err != nil {
		return nil, err
	}
	rows, err := h.db.QueryContext(ctx, `SELECT e.id, e.number, e.organization_name, e.status, a.id, a.number, a.program, c.id, c.organization_name
		FROM enrollments e JOIN agreements a ON a.id = e.agreement_id JOIN customers c ON c.id = a.customer_id
		WHERE e.reseller_id = ? ORDER BY e.id LIMIT ?`, h.reseller, first)
	if err != nil {
		return nil, err
	}
	index := map[int64]int{}
	var ids []string
	for rows.Next() {
		var n listNode
		var id, aid, cid int64
		if err := rows.Scan(&id, &n.Number, &n.OrganizationName, &n.Status, &aid, &n.Agreement.Number, &n.Agreement.Program, &cid, &n.Agreement.Customer.OrganizationName); err != nil {
			rows.Close()
			return nil, err
		}
		n.ID, n.Agreement.ID, n.Agreement.Customer.ID = gid("Enrollment", id), gid("Agreement", aid), gid("Customer", cid)
		n.Subscriptions.Edges = []subEdge{}
		index[id] = len(e.Edges)
		ids = append(ids, strconv.FormatInt(id, 10))
		e.Edges = append(e.Edges, listEdge{Cursor: cursorOf(id), Node: n})
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return &out, err
	}
	return &out, h.subscriptions(ctx, e.Edges, index, strings.Join(ids, ","), now)
}

func (h rawList) subscriptions(ctx context.Context, edges []listEdge, index map[int64]int, enrollmentIDs string, now time.Time) error {
	rows, err := h.db.QueryContext(ctx, `SELECT id, enrollment_id, sku, end_date, auto_renew, cancelled_at, grace_from, grace_until, total FROM (
		SELECT s.*, ROW_NUMBER() OVER (PARTITION BY enrollment_id ORDER BY id) AS rn, COUNT(*) OVER (PARTITION BY enrollment_id) AS total
		FROM subscriptions s WHERE s.reseller_id = ? AND s.enrollment_id IN (`+enrollmentIDs+`)) x WHERE rn <= 20 ORDER BY enrollment_id, id`, h.reseller)
	if err != nil {
		return err
	}
	type at struct{ edge, sub int }
	where := map[int64]at{}
	var subIDs []string
	for rows.Next() {
		var id, enrollment int64
		var sku string
		var term licensing.SubscriptionTerm
		var cancelled, graceFrom, graceUntil mysql.NullTime
		var total int
		if err := rows.Scan(&id, &enrollment, &sku, &term.EndDate, &term.AutoRenew, &cancelled, &graceFrom, &graceUntil, &total); err != nil {
			rows.Close()
			return err
		}
		term.CancelledAt, term.GraceFrom, term.GraceUntil = nullTime(cancelled), nullTime(graceFrom), nullTime(graceUntil)
		n := &edges[index[enrollment]].Node.Subscriptions
		n.TotalCount = total
		var s subEdge
		s.Node.ID, s.Node.Sku.Code, s.Node.Status = gid("Subscription", id), sku, string(term.StatusAt(now))
		where[id] = at{index[enrollment], len(n.Edges)}
		n.Edges = append(n.Edges, s)
		subIDs = append(subIDs, strconv.FormatInt(id, 10))
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(subIDs) == 0 {
		return err
	}
	sums, err := h.db.QueryContext(ctx, `SELECT subscription_id, SUM(delta) FROM subscription_changes WHERE reseller_id = ? AND subscription_id IN (`+
		strings.Join(subIDs, ",")+`) AND effective_at <= ? GROUP BY subscription_id`, h.reseller, now)
	if err != nil {
		return err
	}
	defer sums.Close()
	for sums.Next() {
		var id int64
		var q int
		if err := sums.Scan(&id, &q); err != nil {
			return err
		}
		p := where[id]
		edges[p.edge].Node.Subscriptions.Edges[p.sub].Node.Quantity = q
	}
	return sums.Err()
}

func nullTime(t mysql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// plain is the plain net/http handler a small query is measured against: it answers the same
// bytes without GraphQL, authentication, limits or logging.
func plain(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"data":{"viewer":{"role":"READER"}}}`)
}
