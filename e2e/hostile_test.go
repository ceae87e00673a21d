package e2e

// Hostile and heavy traffic (issue 8): every attack of testenv/hostile is refused with its code
// before it costs anything, writes nothing, and leaves the server answering; keys get a fair
// share; a stalled database is a 503; secrets stay out of responses and logs.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/hostile"
	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// hostileWorld is an env with the server's default limits and a reseller with data, its
// RESELLER and READER keys.
type hostileWorld struct {
	e           *env
	w           world
	readerKey   string
	resellerKey string
}

func newHostileWorld(t testing.TB, s *models.Store, limits server.Limits) *hostileWorld {
	e := newEnvWith(t, s, limits)
	w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
	return &hostileWorld{e: e, w: w, readerKey: e.readerKey(w.ResellerID), resellerKey: w.Key}
}

func (h *hostileWorld) key(k hostile.Key) string {
	switch k {
	case hostile.Reader:
		return h.readerKey
	case hostile.Reseller:
		return h.resellerKey
	}
	return ""
}

// send serves an attack through the handler.
func (h *hostileWorld) send(a hostile.Attack) *httptest.ResponseRecorder {
	req, err := a.Request("http://api.test", h.key(a.Key))
	if err != nil {
		h.e.t.Fatalf("%s: %v", a.Name, err)
	}
	rec := httptest.NewRecorder()
	h.e.Handler.ServeHTTP(rec, req)
	return rec
}

// writes counts what an attack could have written.
func (h *hostileWorld) writes() map[string]int {
	c := counts(h.e, h.resellerKey)
	c["orders"] = total(h.e, h.resellerKey, "orders")
	return c
}

// wantRefused asserts the attack's status and code, a bounded error list and no data.
func wantRefused(t *testing.T, a hostile.Attack, rec *httptest.ResponseRecorder) {
	t.Helper()
	wantClean(t, a.Name, rec)
	r := decode(t, rec)
	if rec.Code != a.Status || r.errCode() != a.Code {
		t.Fatalf("%s: want %d %s, got %d %s", a.Name, a.Status, a.Code, rec.Code, rec.Body.String()[:min(400, rec.Body.Len())])
	}
	if a.MaxErrors > 0 && len(r.Errors) > a.MaxErrors {
		t.Errorf("%s: %d errors, want at most %d", a.Name, len(r.Errors), a.MaxErrors)
	}
	if a.Code != "BAD_USER_INPUT" || rec.Code != http.StatusOK {
		if strings.Contains(rec.Body.String(), `"data"`) {
			t.Errorf("%s: a refused request carries data: %s", a.Name, rec.Body.String()[:min(300, rec.Body.Len())])
		}
	}
	if rec.Code == http.StatusOK && r.Data != nil {
		for k, v := range r.Data {
			if v != nil {
				t.Errorf("%s: %s answered %v", a.Name, k, v)
			}
		}
	}
}

func TestHostile(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		h := newHostileWorld(t, s, server.Limits{})
		for _, a := range hostile.All() {
			t.Run(strings.ReplaceAll(a.Family, " ", "_")+"/"+a.Name, func(t *testing.T) {
				before := h.writes()
				start := time.Now()
				rec := h.send(a)
				took := time.Since(start)
				wantRefused(t, a, rec)
				wantSameCounts(t, before, h.writes())
				if d := h.e.ok(h.readerKey, `{ viewer { role } enrollment(number: "ENR-1") { number } }`, nil); str(d, "enrollment", "number") != "ENR-1" {
					t.Fatalf("after %s the server does not answer a normal query: %v", a.Name, d)
				}
				t.Logf("%s: %d %s in %s", a.Name, rec.Code, a.Code, took)
			})
		}
	})
}

// A READER key is for BI: it reads everything but product keys, which book licenses (R-ACT-13).
func TestHostileProductKeysNeedAWritingKey(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		h := newHostileWorld(t, s, generous)
		e := h.e
		ov := e.newWorld("Open reseller", "OPEN_VALUE", "V-1", "OV-1")
		o := e.mutate(ov.Key, `mutation { createOrder(input: {enrollmentNumber: "OV-1", purchaseDate: "2026-11-23", usageStartDate: "2026-11-23",
			idempotencyKey: "ov", lines: [{sku: "O365-E3", quantity: 3}]}) { order { id number } userErrors { field code message } } }`, nil)
		e.mutate(e.Operator, `mutation($o: ID!) { processOrder(input: {orderId: $o}) { order { status } userErrors { field code message } } }`, map[string]any{"o": str(o, "order", "id")})
		q := `query($n: String!) { order(number: $n) { number productKeys { key quantity sku { code } } } }`
		vars := map[string]any{"n": str(o, "order", "number")}
		if d := e.ok(ov.Key, q, vars); len(str(d, "order", "productKeys", 0, "key")) != 29 {
			t.Fatalf("RESELLER key: want the product key, got %v", d)
		}
		reader := e.readerKey(ov.ResellerID)
		r := e.do(reader, q, vars)
		if r.errCode() != "FORBIDDEN" || get(r.Data, "order", "productKeys", 0, "key") != nil || num(r.Data, "order", "productKeys", 0, "quantity") != 3 {
			t.Fatalf("READER key: want FORBIDDEN on the key and the rest of the order, got %s", r.Raw)
		}
		if p := fmt.Sprint(r.Errors[0].Path); p != "[order productKeys 0 key]" {
			t.Errorf("the error's path is %s", p)
		}
	})
}

// Each key has a bucket of cost points and a cap on requests in flight; an operator sets them
// per key; over them the answer is 429 THROTTLED with Retry-After and nothing runs.
func TestHostileFairShare(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		h := newHostileWorld(t, s, server.Limits{MaxCost: 1000, KeyDefaults: models.KeyLimits{BucketSize: 1000, RestoreRate: 1, MaxInFlight: 8}})
		e := h.e
		// 50 customers x (1 + 1 reseller) + 1 for the page = about 101 points.
		page := `mutation { createCustomer(input: {organizationName: "Throttled", country: "US"}) { customer { id } } }`
		query := `{ customers(first: 50) { edges { node { id reseller { name } } } } }`
		r := e.do(h.resellerKey, query, nil)
		cost, _ := r.extensions()["cost"].(map[string]any)
		if r.Status != 200 || num(cost, "requestedQueryCost") != 101 || num(cost, "throttleStatus", "maximumAvailable") != 1000 {
			t.Fatalf("extensions.cost: %d %s", r.Status, r.Raw)
		}
		// Actual cost counts what was returned: one customer (the world's) and its reseller.
		if got := num(cost, "actualQueryCost"); got != 3 {
			t.Errorf("actualQueryCost %d, want 3 (page 1, customer 1, reseller 1)", got)
		}
		// Drain the bucket: a mutation costs 10 plus its customer, requested and actual alike.
		var created int
		for i := 0; i < 200; i++ {
			r = e.do(h.resellerKey, page, nil)
			if r.Status == http.StatusTooManyRequests {
				break
			}
			created++
		}
		if r.Status != http.StatusTooManyRequests || r.errCode() != "THROTTLED" || r.header.Get("Retry-After") == "" || r.Data != nil {
			t.Fatalf("a drained bucket: want 429 THROTTLED with Retry-After, got %d %s", r.Status, r.Raw)
		}
		if created < 80 || created > 95 {
			t.Errorf("%d mutations of 11 points ran on a bucket of 1000 refilling at 1 per second", created)
		}
		if n := total(e, e.Operator, "customers"); n != created+1 {
			t.Fatalf("the throttled mutation wrote: %d customers, want %d", n, created+1)
		}
		if r := e.do(h.resellerKey, query, nil); r.Status != http.StatusTooManyRequests || r.errCode() != "THROTTLED" {
			t.Fatalf("a query with a drained bucket: %d %s", r.Status, r.Raw)
		}
		// Another key of the same reseller has its own bucket.
		if d := e.ok(h.readerKey, query, nil); len(get(d, "customers", "edges").([]any)) != 50 {
			t.Fatalf("another key: %v", d)
		}
		// An operator gives the key a bigger bucket: it applies to the next request.
		keyID := str(e.ok(e.Operator, `{ apiKeys(first: 100) { edges { node { id role reseller { id } } } } }`, nil), "apiKeys", "edges", 1, "node", "id")
		p := e.mutate(e.Operator, `mutation($id: ID!) { setApiKeyLimits(input: {id: $id, bucketSize: 5000, restoreRate: 5000, maxInFlight: 2}) {
			apiKey { limits { bucketSize restoreRate maxInFlight isDefault } } userErrors { field code message } } }`, map[string]any{"id": keyID})
		if num(p, "apiKey", "limits", "bucketSize") != 5000 || get(p, "apiKey", "limits", "isDefault") != false {
			t.Fatalf("setApiKeyLimits: %v", p)
		}
		ue := e.refused(e.Operator, `mutation($id: ID!) { setApiKeyLimits(input: {id: $id, bucketSize: 10}) { userErrors { field code message } } }`, map[string]any{"id": keyID})
		hasUserError(t, ue, "INVALID", "bucketSize")
		if r := e.do(e.Operator, `{ viewer { role } }`, nil); r.Status != 200 {
			t.Fatalf("operator: %s", r.Raw)
		}
	})
}

// extensions of a decoded response.
func (r *response) extensions() map[string]any {
	var v struct {
		Extensions map[string]any `json:"extensions"`
	}
	_ = json.Unmarshal([]byte(r.Raw), &v)
	return v.Extensions
}

// Attacks of every family, run flat out with two keys while a well-behaved client of another
// reseller works: every one of its requests succeeds.
func TestHostileWhileWellBehaved(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		h := newHostileWorld(t, s, server.Limits{})
		good := h.e.newWorld("Well behaved", "ENTERPRISE", "EA-9", "ENR-9")
		srv := httptest.NewServer(h.e.Handler)
		defer srv.Close()
		client := &http.Client{Timeout: time.Minute}
		attacks := hostile.All()
		var stop atomic.Bool
		var attacked atomic.Int64
		var wg sync.WaitGroup
		for worker := 0; worker < 4; worker++ {
			wg.Add(1)
			go func(worker int) {
				defer wg.Done()
				for i := worker; !stop.Load(); i++ {
					a := attacks[i%len(attacks)]
					if req, err := a.Request(srv.URL, h.key(a.Key)); err == nil {
						if res, err := client.Do(req); err == nil {
							_, _ = io.Copy(io.Discard, res.Body)
							_ = res.Body.Close()
							attacked.Add(1)
						}
					}
				}
			}(worker)
		}
		good1 := &liveClient{url: srv.URL + "/graphql", client: client}
		var failures []string
		for i := 0; i < 40; i++ {
			var o liveOutcome
			if i%4 == 0 {
				o = good1.post(good.Key, `mutation($n: String!) { createCustomer(input: {organizationName: $n, country: "US"}) { customer { id } userErrors { code } } }`,
					map[string]any{"n": fmt.Sprintf("Customer %d", i)})
			} else {
				o = good1.post(good.Key, `{ enrollment(number: "ENR-9") { number agreement { number } } }`, nil)
			}
			if o.err != nil || len(o.ue) > 0 {
				failures = append(failures, fmt.Sprintf("request %d: %v %v", i, o.err, o.ue))
			}
		}
		stop.Store(true)
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("%d of 40 well-behaved requests failed while %d attacks ran: %v", len(failures), attacked.Load(), failures)
		}
		t.Logf("40 well-behaved requests succeeded while %d attacks ran", attacked.Load())
	})
}

// A database that stops answering: requests end at their deadline with 503 SERVICE_UNAVAILABLE
// and Retry-After, write nothing, and the server answers again once the database does.
func TestHostileStalledDatabase(t *testing.T) {
	limits := generous
	limits.RequestTimeout, limits.AggregationTimeout = time.Second, 2*time.Second
	t.Run("mysql", func(t *testing.T) {
		dsn := testdb.MySQLDSN()
		if dsn == "" {
			t.Skip("TEST_MYSQL_DSN is not set: the stall is a TCP proxy in front of MySQL")
		}
		proxy := newStallingProxy(t, dsn)
		s := testenv.Open(t, proxy.url(testdb.MySQL(t, dsn)))
		h := newHostileWorld(t, s, limits)
		before := h.writes()
		proxy.stall(true)
		start := time.Now()
		r := h.e.do(h.resellerKey, `mutation { createCustomer(input: {organizationName: "Stalled", country: "US"}) { customer { id } } }`, nil)
		took := time.Since(start)
		if r.Status != http.StatusServiceUnavailable || r.errCode() != "SERVICE_UNAVAILABLE" || r.header.Get("Retry-After") == "" {
			t.Fatalf("stalled database: want 503 SERVICE_UNAVAILABLE with Retry-After, got %d %s", r.Status, r.Raw)
		}
		if took > 5*time.Second {
			t.Errorf("the stalled request took %s; the deadline is 1s", took)
		}
		proxy.stall(false)
		wantSameCounts(t, before, h.writes())
	})
	t.Run("sqlite", func(t *testing.T) {
		path := testdb.SQLite(t)
		s := testenv.Open(t, path)
		h := newHostileWorld(t, s, limits)
		before := h.writes()
		// Another process holds the database's write lock: writes cannot go on.
		locker, err := models.Open(context.Background(), models.Config{DatabaseURL: path})
		if err != nil {
			t.Fatal(err)
		}
		defer locker.Close()
		release := make(chan struct{})
		held := make(chan struct{})
		go func() {
			_ = locker.InTx(context.Background(), func(tx *models.Store) error {
				_, _ = tx.CreateReseller(context.Background(), licensing.ResellerDraft{Name: "lock holder"}, time.Now())
				close(held)
				<-release
				return fmt.Errorf("roll back")
			})
		}()
		<-held
		r := h.e.do(h.resellerKey, `mutation { createCustomer(input: {organizationName: "Stalled", country: "US"}) { customer { id } } }`, nil)
		close(release)
		if r.Status != http.StatusServiceUnavailable || r.errCode() != "SERVICE_UNAVAILABLE" || r.header.Get("Retry-After") == "" {
			t.Fatalf("locked database: want 503 SERVICE_UNAVAILABLE with Retry-After, got %d %s", r.Status, r.Raw)
		}
		wantSameCounts(t, before, h.writes())
	})
}

// stallingProxy forwards TCP to MySQL and, while stalled, holds every byte.
type stallingProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	stalled bool
	resume  chan struct{}
}

func newStallingProxy(t *testing.T, dsn string) *stallingProxy {
	u := strings.TrimPrefix(dsn, "mysql://")
	host := u[strings.Index(u, "@")+1:]
	host = host[:strings.Index(host, "/")]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{ln: ln, target: host, resume: make(chan struct{})}
	t.Cleanup(func() { _ = ln.Close(); p.stall(false) })
	go p.serve()
	return p
}

// url rewrites a mysql:// URL to go through the proxy.
func (p *stallingProxy) url(dbURL string) string {
	return strings.Replace(dbURL, p.target, p.ln.Addr().String(), 1)
}

func (p *stallingProxy) stall(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled && !on {
		close(p.resume)
		p.resume = make(chan struct{})
	}
	p.stalled = on
}

func (p *stallingProxy) gate() {
	p.mu.Lock()
	stalled, resume := p.stalled, p.resume
	p.mu.Unlock()
	if stalled {
		<-resume
	}
}

func (p *stallingProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = c.Close()
				return
			}
			pipe := func(dst, src net.Conn) {
				defer dst.Close()
				defer src.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 {
						p.gate()
						if _, werr := dst.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}
			go pipe(up, c)
			pipe(c, up)
		}()
	}
}

// Non-Latin text is kept on a MySQL server whose default character set is latin1.
func TestHostileNonLatinTextOnALatin1Server(t *testing.T) {
	dsn := testdb.MySQLDSN()
	if dsn == "" {
		t.Skip("TEST_MYSQL_DSN is not set: SQLite always keeps UTF-8")
	}
	s := testenv.Open(t, testdb.MySQLWithCharset(t, dsn, "latin1"))
	e := newEnv(t, s)
	w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
	for _, name := range []string{"株式会社ノースウィンド", "Ελληνική Εταιρεία", "Компания 🚀"} {
		p := e.mutate(w.Key, `mutation($n: String!) { createCustomer(input: {organizationName: $n, country: "JP"}) { customer { id organizationName } userErrors { field code message } } }`,
			map[string]any{"n": name})
		if got := str(p, "customer", "organizationName"); got != name {
			t.Fatalf("stored %q as %q", name, got)
		}
	}
}

// No log line carries an API key, an activation token or link, or a product key, also when a
// request goes wrong.
func TestHostileSecretsStayOutOfLogs(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		var buf testenv.Buffer
		log := slog.New(server.RedactSecrets(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
		prev := slog.Default()
		slog.SetDefault(log)
		defer slog.SetDefault(prev)
		e := newEnvLogged(t, s, generous, log)
		w := e.newWorld("Open reseller", "OPEN_VALUE", "V-1", "OV-1")
		o := e.mutate(w.Key, `mutation { createOrder(input: {enrollmentNumber: "OV-1", purchaseDate: "2026-11-23", usageStartDate: "2026-11-23",
			idempotencyKey: "ov", lines: [{sku: "O365-E3", quantity: 3}]}) { order { id number } userErrors { field code message } } }`, nil)
		e.mutate(e.Operator, `mutation($o: ID!) { processOrder(input: {orderId: $o}) { order { productKeys { key } } userErrors { field code message } } }`, map[string]any{"o": str(o, "order", "id")})
		d := e.ok(w.Key, `query($n: String!) { order(number: $n) { productKeys { key } } }`, map[string]any{"n": str(o, "order", "number")})
		productKey := str(d, "order", "productKeys", 0, "key")
		// Wrong and revoked keys, a bad product key, a query the store cannot answer.
		e.do(w.Key[:len(w.Key)-2]+"00", `{ viewer { role } }`, nil)
		e.do(w.Key, `mutation($k: String!) { redeemProductKey(input: {productKey: $k, accountId: "nope"}) { userErrors { code } } }`, map[string]any{"k": productKey})
		e.do(w.Key, `mutation($k: String!) { activateEnrollment(input: {token: $k, accountId: "nope"}) { userErrors { code } } }`, map[string]any{"k": strings.Repeat("ab", 32)})
		logs := buf.String()
		if !strings.Contains(logs, `"msg":"request"`) {
			t.Fatalf("no request log lines captured: %q", logs[:min(200, len(logs))])
		}
		for _, secret := range []string{w.Key, e.Operator, productKey, strings.Repeat("ab", 32), w.Key[3:]} {
			if strings.Contains(logs, secret) {
				t.Errorf("the logs contain a secret (%s...)", secret[:8])
			}
		}
	})
}
