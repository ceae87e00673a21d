package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/testenv/apitest"
)

// runCmd runs the binary's run with args and an environment; it returns stdout and the error.
func runCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	return stdout.String(), err
}

func tempDB(t *testing.T) string { return filepath.Join(t.TempDir(), "licensing.db") }

func TestRunRefusesBadSettings(t *testing.T) {
	db := tempDB(t)
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want []string // substrings of the error
		not  string   // must not appear in the error
	}{
		{"unknown_command", nil, []string{"frobnicate", "-database-url", db}, []string{`unknown command "frobnicate"`, "serve, migrate"}, ""},
		{"unknown_flag", nil, []string{"migrate", "-nope"}, []string{"-nope"}, ""},
		{"stray_argument", nil, []string{"migrate", "-database-url", db, "extra"}, []string{"unexpected arguments", "extra"}, ""},
		{"malformed_LOG_LEVEL", map[string]string{"LOG_LEVEL": "loud", "DATABASE_URL": db}, []string{"migrate"}, []string{`"loud"`, "debug, info, warn or error"}, ""},
		{"malformed_log_level_flag", nil, []string{"migrate", "-log-level", "verbose", "-database-url", db}, []string{`"verbose"`}, ""},
		{"malformed_MIGRATE_ON_START", map[string]string{"MIGRATE_ON_START": "maybe", "DATABASE_URL": db}, nil, []string{`"maybe"`, "true or false"}, ""},
		{"postgres_DATABASE_URL", map[string]string{"DATABASE_URL": "postgres://app:s3cret@db:5432/licensing"}, []string{"migrate"},
			[]string{"unsupported scheme", "mysql://"}, "s3cret"},
		{"postgres_database_url_flag", nil, []string{"migrate", "-database-url", "postgres://app:s3cret@db/licensing"}, []string{"unsupported scheme"}, "s3cret"},
		{"mysql_url_without_database", map[string]string{"DATABASE_URL": "mysql://root@127.0.0.1:3306/"}, []string{"migrate"}, []string{"needs a host and a database"}, ""},
		{"postgres_DATABASE_READ_URL", map[string]string{"DATABASE_URL": db, "DATABASE_READ_URL": "postgres://bi:s3cret@replica/licensing"}, []string{"migrate"},
			[]string{"DATABASE_READ_URL", "unsupported scheme"}, "s3cret"},
		{"malformed_DRAIN_DELAY", map[string]string{"DATABASE_URL": db, "DRAIN_DELAY": "soon"}, []string{"migrate"}, []string{"drain-delay"}, ""},
		{"negative_db_wait_timeout", nil, []string{"migrate", "-database-url", db, "-db-wait-timeout", "-1s"}, []string{"db-wait-timeout"}, ""},
		{"zero_SHUTDOWN_TIMEOUT", map[string]string{"DATABASE_URL": db, "SHUTDOWN_TIMEOUT": "0s"}, []string{"migrate"}, []string{"shutdown-timeout"}, ""},
		{"short_EVENT_RETENTION", map[string]string{"DATABASE_URL": db, "EVENT_RETENTION": "1h"}, nil, []string{"event retention 1h0m0s", "at least 168h0m0s"}, ""},
		{"WSREP_SYNC_WAIT_out_of_range", map[string]string{"DATABASE_URL": db, "WSREP_SYNC_WAIT": "16"}, []string{"migrate"}, []string{"wsrep-sync-wait 16", "0 to 15"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runCmd(t, c.env, c.args...)
			if err == nil {
				t.Fatalf("run %v succeeded (stdout %q)", c.args, out)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if c.not != "" && strings.Contains(err.Error(), c.not) {
				t.Errorf("error %q shows %q", err, c.not)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	db := tempDB(t)
	for i := 0; i < 2; i++ { // a second run has nothing to do and still succeeds
		out, err := runCmd(t, nil, "migrate", "-database-url", db)
		if err != nil || !strings.Contains(out, "migrations applied") {
			t.Fatalf("migrate #%d: %v (stdout %q)", i+1, err, out)
		}
	}
	// The settings come from the environment too.
	if _, err := runCmd(t, map[string]string{"DATABASE_URL": db, "LOG_LEVEL": "debug", "MIGRATE_ON_START": "false"}, "migrate"); err != nil {
		t.Fatalf("migrate with the environment: %v", err)
	}
}

// tokenIn returns the one line of out that is an API key.
func tokenIn(t *testing.T, out string) string {
	t.Helper()
	var tokens []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "lk_") {
			tokens = append(tokens, strings.TrimSpace(line))
		}
	}
	if len(tokens) != 1 {
		t.Fatalf("want one key in the output, got %q", out)
	}
	return tokens[0]
}

// query sends a GraphQL query with key to a handler over the store at path.
func query(t *testing.T, path, key, q string) map[string]any {
	t.Helper()
	s, err := models.Open(context.Background(), models.Config{DatabaseURL: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := apitest.Handler(t, s, nil, server.Config{})
	body, _ := json.Marshal(map[string]any{"query": q})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || rec.Code != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("query %s: %d %s", q, rec.Code, rec.Body.String())
	}
	return r.Data
}

// firstKey runs a command that makes the first key of a new database, and returns the
// database, the command's output and the key it printed.
func firstKey(t *testing.T, command string) (db, out, key string) {
	t.Helper()
	db = tempDB(t)
	out, err := runCmd(t, nil, command, "-database-url", db)
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	return db, out, tokenIn(t, out)
}

func TestCreateOperatorKey(t *testing.T) {
	db, out, key := firstKey(t, "create-operator-key")
	if strings.Count(out, key) != 1 {
		t.Errorf("the key is printed %d times", strings.Count(out, key))
	}
	if d := query(t, db, key, `{ viewer { role } resellers { totalCount } }`); d["viewer"].(map[string]any)["role"] != "OPERATOR" {
		t.Fatalf("the printed key: %v", d)
	}
	out, err := runCmd(t, nil, "create-operator-key", "-database-url", db)
	if err == nil || !strings.Contains(err.Error(), "already has an operator key") || strings.Contains(out, "lk_") {
		t.Fatalf("second create-operator-key: err %v, stdout %q", err, out)
	}
	// The message says how to get another key, and the mutation it gives works as written.
	resellers := query(t, db, key, `mutation { createReseller(input: {name: "Northwind"}) { reseller { id } } }`)
	id := resellers["createReseller"].(map[string]any)["reseller"].(map[string]any)["id"].(string)
	if newKey := followHint(t, db, key, err, id); !strings.HasPrefix(newKey, "lk_") {
		t.Fatalf("the hint's mutation gave no key: %q", newKey)
	}
}

// followHint takes the createApiKey mutation out of an existing-database error, fills in the
// reseller ID, sends it with the operator key and returns the new key.
func followHint(t *testing.T, db, operatorKey string, err error, resellerID string) string {
	t.Helper()
	msg := err.Error()
	start := strings.Index(msg, "mutation { createApiKey(")
	if start < 0 || !strings.Contains(msg, "operator key") {
		t.Fatalf("the error does not say how to get a new key: %q", msg)
	}
	mutation, _, _ := strings.Cut(msg[start:], "\n")
	placeholder := regexp.MustCompile(`"<id from [^>]*>"`)
	if !placeholder.MatchString(mutation) {
		t.Fatalf("no reseller ID placeholder in %q", mutation)
	}
	mutation = placeholder.ReplaceAllLiteralString(mutation, strconv.Quote(resellerID))
	d := query(t, db, operatorKey, mutation)
	token, _ := d["createApiKey"].(map[string]any)["token"].(string)
	return token
}

func TestSeedDemo(t *testing.T) {
	db, _, key := firstKey(t, "seed-demo")
	d := query(t, db, key, `{ viewer { role reseller { id name } } customers { totalCount edges { node { organizationName } } }
		agreements { totalCount } enrollments { totalCount } accounts { totalCount } }`)
	if role := d["viewer"].(map[string]any)["role"]; role != "RESELLER" {
		t.Errorf("seed-demo key role %v", role)
	}
	for list, want := range map[string]float64{"customers": 2, "agreements": 2, "enrollments": 2, "accounts": 2} {
		if got := d[list].(map[string]any)["totalCount"]; got != want {
			t.Errorf("demo %s: %v, want %v", list, got, want)
		}
	}
	out, err := runCmd(t, nil, "seed-demo", "-database-url", db)
	if err == nil || !strings.Contains(err.Error(), "already has resellers") || strings.Contains(out, "lk_") {
		t.Fatalf("second seed-demo: err %v, stdout %q", err, out)
	}
	// The hint works: with an operator key, its mutation makes a new key for the demo reseller.
	operator := tokenIn(t, must(runCmd(t, nil, "create-operator-key", "-database-url", db)))
	id := d["viewer"].(map[string]any)["reseller"].(map[string]any)["id"].(string)
	newKey := followHint(t, db, operator, err, id)
	if got := query(t, db, newKey, `{ viewer { reseller { name } } }`)["viewer"].(map[string]any)["reseller"].(map[string]any)["name"]; got != "Contoso Cloud Partners" {
		t.Fatalf("the new key acts for %v", got)
	}
}

func must(out string, err error) string {
	if err != nil {
		panic(err)
	}
	return out
}

// TestExportPrintsOnlyTheExportLine: with -export, seed-demo and create-operator-key print one
// line that a shell can eval, and the key it sets works.
func TestExportPrintsOnlyTheExportLine(t *testing.T) {
	db := tempDB(t)
	for _, c := range []struct{ cmd, role string }{{"seed-demo", "RESELLER"}, {"create-operator-key", "OPERATOR"}} {
		out, err := runCmd(t, nil, c.cmd, "-export", "-database-url", db)
		if err != nil {
			t.Fatalf("%s -export: %v", c.cmd, err)
		}
		if !regexp.MustCompile(`^export LICENSING_API_KEY='lk_[0-9]+_[0-9a-f]+'\n$`).MatchString(out) {
			t.Fatalf("%s -export printed %q", c.cmd, out)
		}
		sh := exec.Command("sh", "-c", `eval "$1"; printf %s "$LICENSING_API_KEY"`, "sh", out)
		key, err := sh.Output()
		if err != nil {
			t.Fatalf("sh eval: %v", err)
		}
		if role := query(t, db, string(key), `{ viewer { role } }`)["viewer"].(map[string]any)["role"]; role != c.role {
			t.Errorf("%s -export: the exported key has role %v", c.cmd, role)
		}
	}
}

// TestHelpListsCommandsAndFlags: -h and help list every subcommand on its own line and the flags,
// and succeed.
func TestHelpListsCommandsAndFlags(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"seed-demo", "-h"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		out := stdout.String() + stderr.String()
		if args[0] == "help" && stdout.Len() == 0 {
			t.Errorf("help wrote nothing to stdout")
		}
		for _, c := range []string{"serve", "migrate", "migrate status", "create-operator-key", "seed-demo", "seed", "help"} {
			if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c) + ` +\S`).MatchString(out) {
				t.Errorf("%v: no line for %s in\n%s", args, c, out)
			}
		}
		for _, f := range []string{"-addr", "LISTEN_ADDR", "-database-url", "-activation-url", "-export", "-max-query-cost"} {
			if !strings.Contains(out, f) {
				t.Errorf("%v: %s not listed", args, f)
			}
		}
	}
}

// cancelOn is a log writer that cancels a context once the log says word.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	word   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.word) {
		c.cancel()
	}
	return len(p), nil
}

func (c *cancelOn) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// TestServeStopsWithItsContext: serve listens, and returns cleanly once its context ends (as on
// SIGTERM).
func TestServeStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &cancelOn{word: `"msg":"listening"`, cancel: cancel}
	env := map[string]string{"DATABASE_URL": tempDB(t), "LISTEN_ADDR": "127.0.0.1:0"}
	if err := run(ctx, nil, func(k string) string { return env[k] }, io.Discard, log); err != nil {
		t.Fatalf("serve: %v (log %s)", err, log)
	}
	if !strings.Contains(log.String(), `"msg":"shutting down"`) {
		t.Errorf("no shutdown in the log: %s", log)
	}
}

// TestServeRefusesAPortInUse: a taken port fails with a clear error, and "listening" is never
// logged.
func TestServeRefusesAPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var log bytes.Buffer
	env := map[string]string{"DATABASE_URL": tempDB(t), "LISTEN_ADDR": taken.Addr().String()}
	err = run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, &log)
	if err == nil {
		t.Fatal("serve on a port in use succeeded")
	}
	for _, w := range []string{taken.Addr().String(), "address already in use", "-addr"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if strings.Contains(log.String(), `"msg":"listening"`) {
		t.Errorf("logged listening on a port in use: %s", log.String())
	}
}

// TestActivationURLFollowsTheListenAddress: without ACTIVATION_URL, activation links point to the
// address the server listens on; a set ACTIVATION_URL wins.
func TestActivationURLFollowsTheListenAddress(t *testing.T) {
	for _, c := range []struct{ activation, want string }{{"", ""}, {"https://portal.example.com/activate", "https://portal.example.com/activate"}} {
		ctx, cancel := context.WithCancel(context.Background())
		log := &cancelOn{word: `"msg":"listening"`, cancel: cancel}
		env := map[string]string{"DATABASE_URL": tempDB(t), "LISTEN_ADDR": "127.0.0.1:0", "ACTIVATION_URL": c.activation}
		if err := run(ctx, nil, func(k string) string { return env[k] }, io.Discard, log); err != nil {
			t.Fatalf("serve: %v", err)
		}
		cancel()
		var line struct {
			Addr          string
			ActivationURL string `json:"activation_url"`
		}
		for _, l := range strings.Split(log.String(), "\n") {
			if strings.Contains(l, `"msg":"listening"`) {
				_ = json.Unmarshal([]byte(l), &line)
			}
		}
		want := c.want
		if want == "" {
			want = "http://" + line.Addr + "/activate"
		}
		if line.Addr == "" || strings.HasSuffix(line.Addr, ":0") || line.ActivationURL != want {
			t.Errorf("ACTIVATION_URL=%q: listening on %q, activation links to %q, want %q", c.activation, line.Addr, line.ActivationURL, want)
		}
	}
	for addr, want := range map[string]string{"127.0.0.1:9090": "http://127.0.0.1:9090/activate", "0.0.0.0:8081": "http://localhost:8081/activate",
		"[::]:8082": "http://localhost:8082/activate", "[::1]:8083": "http://[::1]:8083/activate"} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := defaultActivationURL(a); got != want {
			t.Errorf("listening on %s: activation URL %s, want %s", addr, got, want)
		}
	}
}

// TestServeRefusesMailSettings: in production the server does not start without a real mail
// server, and a malformed SMTP_URL stops it without showing the password.
func TestServeRefusesMailSettings(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"production_without_SMTP_URL", map[string]string{"APP_ENV": "production"}, "production needs a real mail server: set SMTP_URL"},
		{"production_with_only_MAIL_DIR", map[string]string{"APP_ENV": "production", "MAIL_DIR": t.TempDir()}, "production needs a real mail server"},
		{"unknown_APP_ENV", map[string]string{"APP_ENV": "staging"}, `env "staging": use development or production`},
		{"malformed_SMTP_URL", map[string]string{"SMTP_URL": "smtp://mailer:s3cret@mail.example.com?starttls=maybe&from=a@example.com"}, "starttls"},
		{"SMTP_URL_without_From", map[string]string{"APP_ENV": "production", "SMTP_URL": "smtp://mailer:s3cret@mail.example.com"}, "MAIL_FROM"},
		{"SMTP_URL_and_MAIL_DIR", map[string]string{"SMTP_URL": "smtp://mail.example.com?from=a@example.com", "MAIL_DIR": t.TempDir()}, "not both"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A server that starts anyway is stopped after a while and reported.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			env := map[string]string{"DATABASE_URL": tempDB(t), "LISTEN_ADDR": "127.0.0.1:0"}
			for k, v := range c.env {
				env[k] = v
			}
			err := run(ctx, nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("serve: %v, want an error saying %q", err, c.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// TestServeWithMailSettings: a production server with an SMTP_URL, and a development server
// writing .eml files, both start.
func TestServeWithMailSettings(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"production_smtp": {"APP_ENV": "production", "SMTP_URL": "smtps://mailer:s3cret@mail.example.com", "MAIL_FROM": "Licensing <licensing@example.com>"},
		"development_eml": {"MAIL_DIR": t.TempDir()},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			log := &cancelOn{word: `"msg":"listening"`, cancel: cancel}
			env["DATABASE_URL"], env["LISTEN_ADDR"] = tempDB(t), "127.0.0.1:0"
			if err := run(ctx, nil, func(k string) string { return env[k] }, io.Discard, log); err != nil {
				t.Fatalf("serve: %v (log %s)", err, log)
			}
			if strings.Contains(log.String(), "s3cret") {
				t.Errorf("the log shows the password: %s", log)
			}
		})
	}
}
