package clustertest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/testenv/jsonpath"
	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// now is the servers' clock: inside the terms of the enrollments the tests make.
var now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

const today = "2026-11-23"

// cluster is one database served by several API servers, each over its own store (pool): one
// per Galera node, or several on one MariaDB.
type cluster struct {
	t       testing.TB
	name    string
	urls    []string // the database's URL through each server's node
	stores  []*models.Store
	servers []*httptest.Server
	checks  []*sql.DB // plain SQL per node, for the checks
	client  *http.Client
	op      string // operator key
}

// newGalera serves a fresh database with one server per Galera node.
func newGalera(t testing.TB) *cluster {
	urls := testdb.Galera(t, testdb.GaleraNodes(t))
	syncWait := 0
	if os.Getenv("TEST_GALERA_SYNC_WAIT") == "off" {
		syncWait = models.SyncWaitOff
		t.Log("TEST_GALERA_SYNC_WAIT=off: the stores set no wsrep_sync_wait")
	}
	return newCluster(t, "galera", urls, syncWait)
}

// newMariaDB serves a fresh database of TEST_MYSQL_DSN with n servers, each with its own pool.
func newMariaDB(t testing.TB, n int) *cluster {
	dsn := testdb.MySQLDSN()
	if dsn == "" {
		t.Skip("TEST_MYSQL_DSN is not set")
	}
	u := testdb.MySQL(t, dsn)
	urls := make([]string, n)
	for i := range urls {
		urls[i] = u
	}
	return newCluster(t, "mariadb", urls, 0)
}

func newCluster(t testing.TB, name string, urls []string, syncWait int) *cluster {
	t.Helper()
	ctx := context.Background()
	c := &cluster{t: t, name: name, urls: urls, client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	limits := server.Limits{KeyDefaults: models.KeyLimits{BucketSize: 1 << 30, RestoreRate: 1 << 30, MaxInFlight: 1 << 20}}
	for i, u := range urls {
		s, err := models.Open(ctx, models.Config{DatabaseURL: u, SyncWait: syncWait})
		if err != nil {
			t.Fatalf("open node %d: %v", i+1, err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if i == 0 {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate: %v", err)
			}
		}
		h, err := server.New(server.Config{Store: s, Resolver: &resolvers.Resolver{Store: s, Now: func() time.Time { return now }},
			Log: slog.New(slog.DiscardHandler), Limits: limits, CatalogSize: 9})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		c.stores, c.servers = append(c.stores, s), append(c.servers, srv)
		c.checks = append(c.checks, checkDB(t, u))
	}
	k, err := c.stores[0].CreateFirstOperatorKey(ctx, "cluster suite")
	if err != nil {
		t.Fatal(err)
	}
	c.op = k.Token
	return c
}

// checkDB is a plain pool on one node for SQL checks; on Galera it waits for the node to have
// applied every earlier commit (wsrep_sync_wait=1), so that each node's answer is final.
func checkDB(t testing.TB, dbURL string) *sql.DB {
	t.Helper()
	_, dsn, err := models.ParseDatabaseURL(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	probe, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	var name, on string
	_ = probe.QueryRow("SHOW VARIABLES LIKE 'wsrep_on'").Scan(&name, &on)
	_ = probe.Close()
	if on == "ON" {
		cfg.Params["wsrep_sync_wait"] = "1"
	}
	db := testdb.OpenSQL(t, "mysql", cfg.FormatDSN())
	db.SetMaxOpenConns(4)
	return db
}

// n is the number of servers.
func (c *cluster) n() int { return len(c.servers) }

// result is one GraphQL response as the tests judge it.
type result struct {
	status     int
	data       map[string]any
	errCodes   []string // extensions.code of the GraphQL errors
	userErrors []string // codes of the payload's userErrors
	retryAfter string   // the Retry-After header
	raw        string
}

// kind sorts a result: "ok", "refused:<code>" (userErrors), "unavailable" (503) or "error:...".
func (r result) kind() string {
	switch {
	case r.status == http.StatusServiceUnavailable:
		return "unavailable"
	case r.status != http.StatusOK || len(r.errCodes) > 0:
		return fmt.Sprintf("error:%d:%v", r.status, r.errCodes)
	case len(r.userErrors) > 0:
		return "refused:" + r.userErrors[0]
	}
	return "ok"
}

// do sends a GraphQL request to server i.
func (c *cluster) do(i int, key, query string, vars map[string]any) result {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.servers[i%c.n()].URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := c.client.Do(req)
	if err != nil {
		return result{status: 0, errCodes: []string{"transport: " + err.Error()}}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, raw: string(raw), retryAfter: resp.Header.Get("Retry-After")}
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(raw, &out)
	r.data = out.Data
	for _, e := range out.Errors {
		code, _ := e.Extensions["code"].(string)
		r.errCodes = append(r.errCodes, code)
	}
	for _, v := range out.Data {
		if p, ok := v.(map[string]any); ok {
			ue, _ := p["userErrors"].([]any)
			for _, u := range ue {
				code, _ := u.(map[string]any)["code"].(string)
				r.userErrors = append(r.userErrors, code)
			}
		}
	}
	return r
}

// must runs a request that has to succeed and returns its data.
func (c *cluster) must(i int, key, query string, vars map[string]any) map[string]any {
	c.t.Helper()
	r := c.do(i, key, query, vars)
	if r.kind() != "ok" {
		c.t.Fatalf("server %d: %s\n%s", i%c.n()+1, r.kind(), r.raw)
	}
	return r.data
}

// get and str walk decoded JSON by keys and indexes.
var (
	get = jsonpath.Get
	str = jsonpath.Str
)

// dbID is the row id behind a global ID (base64url "Type:id").
func dbID(t testing.TB, gid string) int64 {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		t.Fatalf("global ID %q: %v", gid, err)
	}
	_, num, _ := strings.Cut(string(raw), ":")
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		t.Fatalf("global ID %q: %v", gid, err)
	}
	return id
}

// onEveryNode runs a query returning one integer on every node; the nodes must agree.
func (c *cluster) onEveryNode(query string, args ...any) int64 {
	c.t.Helper()
	var first int64
	for i, db := range c.checks {
		var v int64
		if err := db.QueryRow(query, args...).Scan(&v); err != nil {
			c.t.Fatalf("node %d: %s: %v", i+1, query, err)
		}
		if i == 0 {
			first = v
		} else if v != first {
			c.t.Errorf("the nodes disagree on %s %v: node 1 has %d, node %d has %d", query, args, first, i+1, v)
		}
	}
	return first
}

// tally counts results by kind, for the log.
func tally(rs []result) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		out[r.kind()]++
	}
	return out
}

// noFaults fails on any result that is neither a success, a refusal, nor a 503.
func noFaults(t testing.TB, what string, rs []result) {
	t.Helper()
	for _, r := range rs {
		if k := r.kind(); strings.HasPrefix(k, "error:") {
			t.Errorf("%s: %s\n%s", what, k, r.raw)
		}
	}
}
