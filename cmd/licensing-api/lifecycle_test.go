package main

// A replica's life on a cluster (issue 12), with the real binary: it waits for its database at
// start, drains on SIGTERM (readiness first, then the requests in flight), and reports its work
// at /metrics.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/testenv/testdb"
)

func TestServeLifecycle(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "licensing-api")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("drains_on_SIGTERM", func(t *testing.T) { testDrain(t, bin) })
	t.Run("waits_for_the_database", func(t *testing.T) { testWaitsForDatabase(t, bin) })
	t.Run("gives_up_waiting", func(t *testing.T) { testGivesUpWaiting(t, bin) })
	t.Run("metrics_of_background_work", func(t *testing.T) { testBackgroundMetrics(t, bin) })
}

// seededDB is a SQLite database with the demo data and an operator key, and both keys.
func seededDB(t *testing.T, bin string) (db, resellerKey, operatorKey string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "licensing.db")
	key := func(cmd string) string {
		out, err := exec.Command(bin, cmd, "-export", "-database-url", db).Output()
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return strings.Trim(strings.TrimPrefix(strings.TrimSpace(string(out)), "export LICENSING_API_KEY="), "'")
	}
	return db, key("seed-demo"), key("create-operator-key")
}

// testDrain: after SIGTERM /readyz is 503 while requests are still served for DRAIN_DELAY; a
// request in flight when the listener closes is answered; then the process exits 0.
func testDrain(t *testing.T, bin string) {
	db, key, _ := seededDB(t, bin)
	addr := freeAddrs(t, 1)[0]
	p := startProcess(t, bin, []string{"DATABASE_URL=" + db, "LISTEN_ADDR=" + addr, "DRAIN_DELAY=1500ms"}, "serve")
	if err := waitHealthy(p, addr, time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("%v\n%s", err, p.stderr.String())
	}
	if code := statusOf(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz %d before SIGTERM", code)
	}
	// A request whose body is still on its way when the signal comes.
	body := `{"query":"{ customers(first: 1) { totalCount } }"}`
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, key, len(body), body[:10])
	time.Sleep(100 * time.Millisecond)
	sent := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, "/readyz 503 after SIGTERM", func() bool { return statusOf(t, "http://"+addr+"/readyz") == http.StatusServiceUnavailable })
	if code := postStatus(t, addr, key, body); code != http.StatusOK {
		t.Errorf("a new request while draining: %d, want it served", code)
	}
	time.Sleep(time.Until(sent.Add(2 * time.Second))) // past the drain delay: the listener is closed
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("still accepting connections after the drain delay")
	}
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "totalCount") {
		t.Errorf("the request in flight: %d %s", resp.StatusCode, b)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after the request in flight finished")
	}
	log := p.stderr.String()
	if d, s := strings.Index(log, `"msg":"draining`), strings.Index(log, `"msg":"shutting down"`); d < 0 || s < d {
		t.Errorf("want draining, then shutting down, in the log:\n%s", log)
	}
}

// testWaitsForDatabase: the database is down at start (a proxy that refuses), the server says
// what it waits for, and serves once the database is up, with no restart.
func testWaitsForDatabase(t *testing.T, bin string) {
	dsn := testdb.MySQLDSN()
	if dsn == "" {
		t.Skip("TEST_MYSQL_DSN is not set: this needs a MySQL server behind the proxy")
	}
	target := testdb.MySQL(t, dsn)
	proxy := startGate(t, hostOf(t, target))
	url := strings.Replace(target, hostOf(t, target), proxy.addr, 1)
	addr := freeAddrs(t, 1)[0]
	p := startProcess(t, bin, []string{"DATABASE_URL=" + url, "LISTEN_ADDR=" + addr, "DB_WAIT_TIMEOUT=1m", "DRAIN_DELAY=0s"}, "serve")
	waitFor(t, "a log line saying it waits", func() bool { return strings.Count(p.stderr.String(), `"msg":"waiting for the database"`) >= 2 })
	proxy.open()
	if err := waitHealthy(p, addr, time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("%v\n%s", err, p.stderr.String())
	}
	if code := statusOf(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz %d once the database is up", code)
	}
	log := p.stderr.String()
	for _, want := range []string{`"reason":"database unreachable`, `"msg":"the database is ready"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log has no %s:\n%s", want, log)
		}
	}
}

// testGivesUpWaiting: with the database still down after DB_WAIT_TIMEOUT, the server exits 1
// with the reason.
func testGivesUpWaiting(t *testing.T, bin string) {
	dead := freeAddrs(t, 1)[0] // nothing listens there
	start := time.Now()
	out, err := exec.Command(bin, "serve", "-database-url", "mysql://app:pw@"+dead+"/licensing", "-db-wait-timeout", "1s").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not ready after 1s") || strings.Contains(string(out), "app:pw") {
		t.Fatalf("exit %v, output:\n%s", err, out)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("gave up after %s", took)
	}
}

// testBackgroundMetrics: an order whose activation email is due; the dispatcher sends it into
// MAIL_DIR and /metrics counts it, with the deprovisioning sweep's runs.
func testBackgroundMetrics(t *testing.T, bin string) {
	db, key, operator := seededDB(t, bin)
	addr, mailDir := freeAddrs(t, 1)[0], t.TempDir()
	p := startProcess(t, bin, []string{"DATABASE_URL=" + db, "LISTEN_ADDR=" + addr, "DISPATCH_INTERVAL=200ms", "WEBHOOK_INTERVAL=200ms", "MAIL_DIR=" + mailDir, "DRAIN_DELAY=0s"}, "serve")
	if err := waitHealthy(p, addr, time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("%v\n%s", err, p.stderr.String())
	}
	gql := func(key, query string) map[string]any {
		t.Helper()
		out := postJSON(t, addr, key, query)
		if out["errors"] != nil {
			t.Fatalf("%s: %v", query, out)
		}
		return out
	}
	ags := gql(key, `{ agreement(number: "EA-1000001") { id } }`)
	agreement := ags["data"].(map[string]any)["agreement"].(map[string]any)["id"].(string)
	today := time.Now().UTC().Format("2006-01-02")
	gql(key, `mutation { createEnrollment(input: {agreementId: "`+agreement+`", number: "ENR-9000001", organizationName: "Northwind",
		osmName: "Olga", osmEmail: "olga@northwind.example", startDate: "2026-01-01", endDate: "2099-12-31"}) { enrollment { id } userErrors { code message } } }`)
	order := gql(key, `mutation { createOrder(input: {enrollmentNumber: "ENR-9000001", lines: [{sku: "INTUNE", quantity: 5}],
		purchaseDate: "`+today+`", usageStartDate: "`+today+`", idempotencyKey: "metrics-1"}) { order { id } userErrors { code message } } }`)
	id, _ := order["data"].(map[string]any)["createOrder"].(map[string]any)["order"].(map[string]any)["id"].(string)
	gql(operator, `mutation { processOrder(input: {orderId: "`+id+`"}) { order { status } userErrors { code message } } }`)
	waitFor(t, "the email sent and counted, the events sequenced", func() bool {
		m := get(t, "http://"+addr+"/metrics")
		return strings.Contains(m, `licensing_activation_emails_total{event="due"} 1`) && strings.Contains(m, `licensing_activation_emails_total{event="sent"} 1`) &&
			strings.Contains(m, `licensing_webhook_events_total{outcome="sequenced"}`) // order.created, order.processed, ...
	})
	if files, _ := filepath.Glob(filepath.Join(mailDir, "*.eml")); len(files) != 1 {
		t.Errorf("%d emails in MAIL_DIR, want 1", len(files))
	}
	m := get(t, "http://"+addr+"/metrics")
	for _, want := range []string{`licensing_background_runs_total{outcome="ok",task="deprovision"}`,
		`licensing_background_runs_total{outcome="ok",task="event_schedule"}`, `licensing_background_runs_total{outcome="ok",task="license_cells"}`,
		`licensing_graphql_requests_total{operation="processOrder",outcome="ok",type="mutation"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}

// gate is a TCP proxy that refuses connections until open is called, as a database that is
// still starting does.
type gate struct {
	addr   string
	opened chan struct{}
}

func startGate(t *testing.T, target string) *gate {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	g := &gate{addr: l.Addr().String(), opened: make(chan struct{})}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case <-g.opened:
				go pipe(c, target)
			default:
				_ = c.Close()
			}
		}
	}()
	return g
}

func (g *gate) open() { close(g.opened) }

func pipe(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	// The server's side closing (the process stopped) closes the database's side too: a session
	// left open would keep its locks, and the test's DROP DATABASE would wait for them.
	go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
	_, _ = io.Copy(c, up)
}

func hostOf(t *testing.T, mysqlURL string) string {
	t.Helper()
	rest := strings.TrimPrefix(mysqlURL, "mysql://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func statusOf(t *testing.T, url string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func postStatus(t *testing.T, addr, key, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func postJSON(t *testing.T, addr, key, query string) map[string]any {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
