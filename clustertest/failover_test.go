package clustertest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestNodeKilledUnderLoad: orders of three lines go through the three servers without pause;
// node 3 is killed (SIGKILL) and started again (galera-up.sh restart 3) while they do. No
// server is restarted. Requests through the dead node are answered 503, the others go on, the
// third server serves again once its node is back, and no order is half written: the nodes
// agree, every order has its three lines, and every order answered ok is there.
func TestNodeKilledUnderLoad(t *testing.T) {
	c := newGalera(t)
	dir, up := os.Getenv("TEST_GALERA_DIR"), os.Getenv("TEST_GALERA_UP")
	if dir == "" || up == "" {
		t.Skip("TEST_GALERA_DIR and TEST_GALERA_UP are not set (the cluster's directory and galera-up.sh, to kill and restart node 3)")
	}
	key := c.reseller("Contoso")
	d := c.newDeal(key, "ENTERPRISE", domain("load"))
	l := startLoad(c, key, d.number, 6)
	time.Sleep(time.Second)

	killNode(t, dir, 3)
	l.mark("node 3 down")
	if !waitReady(c, 2, http.StatusServiceUnavailable, 15*time.Second) {
		t.Errorf("server 3's /readyz still answers 200 with its node killed")
	}
	time.Sleep(2 * time.Second)
	start := time.Now()
	restart := exec.Command("bash", up, dir, "restart", "3")
	if out, err := restart.CombinedOutput(); err != nil {
		l.stop()
		t.Fatalf("galera-up.sh restart 3: %v\n%s", err, out)
	}
	if !waitReady(c, 2, http.StatusOK, time.Minute) {
		t.Errorf("server 3's /readyz is not 200 a minute after its node was restarted")
	}
	l.mark("node 3 back")
	t.Logf("node 3 restarted and ready in %s", time.Since(start).Round(100*time.Millisecond))
	time.Sleep(2 * time.Second)
	l.stop()
	l.check(t, c, dbID(t, d.enrollment))
}

// load sends createOrder requests through every server from several workers until stopped.
type load struct {
	mu    sync.Mutex
	phase string
	out   []sent
	done  chan struct{}
	wg    sync.WaitGroup
}

// sent is one request and its answer.
type sent struct {
	server      int
	phase, idem string
	kind        string
}

func startLoad(c *cluster, key, enrollment string, workers int) *load {
	l := &load{phase: "all nodes up", done: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.done:
					return
				default:
				}
				server := (w + i) % c.n()
				idem := fmt.Sprintf("load-%d-%d", w, i)
				l.mu.Lock()
				phase := l.phase
				l.mu.Unlock()
				r := c.do(server, key, createOrderDoc, orderInput(enrollment, idem, "INTUNE", 1, "O365-E1", 2, "O365-E3", 3))
				l.mu.Lock()
				l.out = append(l.out, sent{server: server, phase: phase, idem: idem, kind: r.kind()})
				l.mu.Unlock()
				if r.kind() != "ok" {
					time.Sleep(20 * time.Millisecond) // as a client backs off after a 503
				}
			}
		}()
	}
	return l
}

func (l *load) mark(phase string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.phase = phase
}

func (l *load) stop() {
	close(l.done)
	l.wg.Wait()
}

// check judges the answers and the rows left on every node.
func (l *load) check(t *testing.T, c *cluster, enrollment int64) {
	t.Helper()
	byPhase := map[string]map[string]int{}
	var acked []string
	for _, s := range l.out {
		k := fmt.Sprintf("server %d: %s", s.server+1, s.kind)
		if byPhase[s.phase] == nil {
			byPhase[s.phase] = map[string]int{}
		}
		byPhase[s.phase][k]++
		if s.kind == "ok" {
			acked = append(acked, s.idem)
		} else if s.kind != "unavailable" {
			t.Errorf("%s, %s: answered %s, want ok or 503", s.phase, k, s.kind)
		}
	}
	for _, p := range []string{"all nodes up", "node 3 down", "node 3 back"} {
		t.Logf("%s: %v", p, byPhase[p])
	}
	for _, want := range []struct{ phase, k string }{{"node 3 down", "server 1: ok"}, {"node 3 down", "server 2: ok"},
		{"node 3 down", "server 3: unavailable"}, {"node 3 back", "server 3: ok"}} {
		if byPhase[want.phase][want.k] == 0 {
			t.Errorf("%s: no request answered like %q", want.phase, want.k)
		}
	}
	orders := c.onEveryNode("SELECT COUNT(*) FROM orders WHERE enrollment_id = ?", enrollment)
	partial := c.onEveryNode(`SELECT COUNT(*) FROM orders o WHERE o.enrollment_id = ?
		AND (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id) <> 3`, enrollment)
	lines := c.onEveryNode("SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.enrollment_id = ?", enrollment)
	found := int64(0)
	for chunk := range chunks(acked, 500) {
		args := []any{enrollment}
		for _, a := range chunk {
			args = append(args, a)
		}
		found += c.onEveryNode("SELECT COUNT(*) FROM orders WHERE enrollment_id = ? AND idempotency_key IN (?"+strings.Repeat(",?", len(chunk)-1)+")", args...)
	}
	t.Logf("%d requests, %d answered ok; %d orders with %d lines on every node", len(l.out), len(acked), orders, lines)
	if partial != 0 || lines != 3*orders {
		t.Errorf("%d orders without their three lines (%d lines for %d orders)", partial, lines, orders)
	}
	if found != int64(len(acked)) {
		t.Errorf("%d orders answered ok, %d of them stored", len(acked), found)
	}
	if orders < found || orders > int64(len(l.out)) {
		t.Errorf("%d orders stored for %d requests", orders, len(l.out))
	}
}

// chunks yields s in chunks of at most n.
func chunks(s []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// killNode kills the mysqld of node n of the cluster in dir, as a crash would.
func killNode(t *testing.T, dir string, n int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("n%d", n), "pid"))
	if err != nil {
		t.Fatalf("node %d's pid: %v", n, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill node %d (pid %d): %v", n, pid, err)
	}
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReady polls server i's /readyz until it answers status, for at most d.
func waitReady(c *cluster, i, status int, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.servers[i].URL+"/readyz", nil)
		if resp, err := c.client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == status {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
