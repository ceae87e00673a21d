package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// TestFleet starts real licensing-api processes at once on one empty database, as replicas of
// a deployment do: every one must succeed, and the migrations must run exactly once.
func TestFleet(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "licensing-api")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	engines := map[string]func(t testing.TB) string{"sqlite": testdb.SQLite}
	if dsn := testdb.MySQLDSN(); dsn != "" {
		engines["mysql"] = func(t testing.TB) string { return testdb.MySQL(t, dsn) }
	}
	for name, newDB := range engines {
		t.Run("migrate_"+name, func(t *testing.T) {
			url := newDB(t)
			fleetMigrate(t, bin, []string{url, url, url})
			checkMigrated(t, url)
		})
		t.Run("serve_"+name, func(t *testing.T) {
			url := newDB(t)
			fleetServe(t, bin, []string{url, url, url})
			checkMigrated(t, url)
		})
	}
	t.Run("galera", func(t *testing.T) {
		nodes := testdb.GaleraNodes(t)
		for round := 1; round <= 3; round++ {
			urls := testdb.Galera(t, nodes)
			fleetMigrate(t, bin, urls)
			for _, u := range urls {
				checkMigrated(t, u+"?wsrep_sync_wait=1")
			}
		}
		urls := testdb.Galera(t, nodes)
		fleetServe(t, bin, urls)
		for _, u := range urls {
			checkMigrated(t, u+"?wsrep_sync_wait=1")
		}
	})
}

// process is one licensing-api process.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr testenv.Buffer
	done           chan error
}

func startProcess(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// appliedCount counts the migrations a process applied, from its log.
func (p *process) appliedCount() int {
	return strings.Count(p.stderr.String(), `"msg":"applied migration"`)
}

// fleetMigrate runs `licensing-api migrate` once per URL, all at once.
func fleetMigrate(t *testing.T, bin string, urls []string) {
	t.Helper()
	var procs []*process
	for _, u := range urls {
		procs = append(procs, startProcess(t, bin, []string{"DATABASE_URL=" + u}, "migrate"))
	}
	applied := 0
	for i, p := range procs {
		select {
		case err := <-p.done:
			p.done <- err // for the cleanup
			if err != nil || !strings.Contains(p.stdout.String(), "migrations applied") {
				t.Errorf("migrate #%d: %v\nstdout: %s\nstderr: %s", i+1, err, p.stdout.String(), p.stderr.String())
			}
		case <-time.After(2 * time.Minute):
			t.Fatalf("migrate #%d still runs after 2 minutes\nstderr: %s", i+1, p.stderr.String())
		}
		applied += p.appliedCount()
	}
	if want := migrationFiles(t); applied != want {
		t.Errorf("the processes applied %d migrations in all, want each of the %d once", applied, want)
	}
}

// fleetServe starts one server per URL, all at once with MIGRATE_ON_START, waits until each
// answers /healthz, then stops them.
func fleetServe(t *testing.T, bin string, urls []string) {
	t.Helper()
	addrs := freeAddrs(t, len(urls))
	var procs []*process
	for i, addr := range addrs {
		procs = append(procs, startProcess(t, bin, []string{"DATABASE_URL=" + urls[i], "LISTEN_ADDR=" + addr,
			"MIGRATE_ON_START=true", "ACTIVATION_URL=http://" + addr + "/activate", "DRAIN_DELAY=0s"}, "serve"))
	}
	deadline := time.Now().Add(2 * time.Minute)
	for i, p := range procs {
		if err := waitHealthy(p, addrs[i], deadline); err != nil {
			t.Fatalf("server #%d on %s: %v\nstderr: %s", i+1, addrs[i], err, p.stderr.String())
		}
	}
	applied := 0
	for i, p := range procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.done:
			p.done <- err
			if err != nil {
				t.Errorf("server #%d stopped with %v", i+1, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("server #%d did not stop on SIGTERM", i+1)
		}
		applied += p.appliedCount()
	}
	if want := migrationFiles(t); applied != want {
		t.Errorf("the servers applied %d migrations in all, want each of the %d once", applied, want)
	}
}

// waitHealthy polls GET /healthz until it answers 200, the process exits, or the deadline.
func waitHealthy(p *process, addr string, deadline time.Time) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("exited before answering: %v", err)
		default:
		}
		if resp, err := client.Get("http://" + addr + "/healthz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no 200 from /healthz before the deadline")
}

// freeAddrs finds n free loopback ports. They are held until all are found, then freed for
// the servers (another program could take one in between; unlikely on a test machine).
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// checkMigrated checks through a store of its own that every migration is applied and the
// catalog is loaded.
func checkMigrated(t *testing.T, dbURL string) {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, models.Config{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	states, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := migrationFiles(t); len(states) != want {
		t.Errorf("%d migrations, want %d", len(states), want)
	}
	for _, m := range states {
		if !m.Applied {
			t.Errorf("%s is not applied", m.Name)
		}
	}
	skus, err := s.SKUs(ctx, models.SKUFilter{}, models.SKUPage{First: 1})
	if err != nil || skus.Total == 0 {
		t.Errorf("the SKU catalog is not loaded: %v", err)
	}
}

// migrationFiles counts the migrations this build embeds (models/migrations/*.sql).
func migrationFiles(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "models", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	return len(files)
}
