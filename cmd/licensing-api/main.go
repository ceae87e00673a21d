// Command licensing-api serves the licensing GraphQL API and runs its maintenance tasks.
//
//	licensing-api [serve]              serve HTTP (default)
//	licensing-api migrate              apply schema migrations and exit
//	licensing-api migrate status       list each migration with the time it was applied, or pending
//	licensing-api create-operator-key  create the first operator key on an empty database
//	licensing-api seed-demo            fill an empty database with demo data and print its key
//	licensing-api seed -assignments N  generate a large data set for benchmarks (R-BI-2)
//	licensing-api help                 list the commands and flags (also -h)
//
// Settings come from flags or the environment (flags win): -addr/LISTEN_ADDR,
// -database-url/DATABASE_URL, -database-read-url/DATABASE_READ_URL, -db-wait-timeout/DB_WAIT_TIMEOUT,
// -drain-delay/DRAIN_DELAY, -shutdown-timeout/SHUTDOWN_TIMEOUT, -wsrep-sync-wait/WSREP_SYNC_WAIT,
// the standard OTEL_EXPORTER_OTLP_* variables (traces), -log-level/LOG_LEVEL, -migrate/MIGRATE_ON_START,
// -grace-period/GRACE_PERIOD, -activation-url/ACTIVATION_URL, -dispatch-interval/DISPATCH_INTERVAL,
// -env/APP_ENV, -smtp-url/SMTP_URL, -mail-dir/MAIL_DIR, -mail-from/MAIL_FROM, the webhook settings
// (-webhook-interval/WEBHOOK_INTERVAL, -webhook-timeout/WEBHOOK_TIMEOUT,
// -webhook-allow-private-networks/WEBHOOK_ALLOW_PRIVATE_NETWORKS) and the limits of the
// README's "Limits" section. seed-demo -export and create-operator-key -export print only
// `export LICENSING_API_KEY=…`, for eval.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/licensing-api/licensing-api/mail"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/periodic"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/licensing-api/licensing-api/server"
)

type config struct {
	addr             string
	databaseURL      string
	logLevel         slog.Level
	migrate          bool
	gracePeriod      time.Duration
	activationURL    string
	dispatchInterval time.Duration
	limits           server.Limits
	allowedOrigins   []string
	aggregations     int
	production       bool
	mail             mail.Config
	webhooks         webhookConfig
	seed             models.SeedOptions
	export           bool // print the new key as a shell export line only
	cluster
}

// cluster holds the settings for running several replicas (issue 12, README "Running on a
// cluster").
type cluster struct {
	readURL         string        // DATABASE_READ_URL
	dbWait          time.Duration // DB_WAIT_TIMEOUT
	drainDelay      time.Duration // DRAIN_DELAY
	shutdownTimeout time.Duration // SHUTDOWN_TIMEOUT
	syncWait        int           // WSREP_SYNC_WAIT
	keyCacheTTL     time.Duration // KEY_CACHE_TTL
	tracing         bool          // OTEL_EXPORTER_OTLP_ENDPOINT set (serve only)
}

// commands are the subcommands, listed by -h and help.
var commands = []struct{ name, help string }{
	{"serve", "serve the API over HTTP (the default)"},
	{"migrate", "apply the database migrations and exit"},
	{"migrate status", "list each migration with the time it was applied, or pending"},
	{"create-operator-key", "create the first OPERATOR key of a database and print it (-export: as a shell export line)"},
	{"seed-demo", "fill an empty database with demo data and print its RESELLER key (-export: as a shell export line)"},
	{"seed", "generate a large data set for benchmarks (R-BI-2); see -assignments"},
	{"rollup check", "recompute the license summary's rollup from the ledger and report drift (exit status 1 on drift)"},
	{"rollup repair", "recompute the license summary's rollup from the ledger and rewrite it, reporting the drift it clears"},
	{"help", "list the commands and flags (also -h)"},
}

// keyHint says how to get another key from a database that already has keys (issue 14).
const keyHint = `get a new key with the createApiKey mutation, sent with an operator key:
  mutation { createApiKey(input: {role: RESELLER, resellerId: "<id from { resellers { edges { node { id name } } } }>", name: "my key"}) { token userErrors { code message } } }
(role: OPERATOR without resellerId makes another operator key), or use a new database (-database-url, DATABASE_URL)`

func main() {
	server.TuneGC(os.Getenv) // the binary's defaults; tests running run() keep Go's
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "licensing-api:", err)
		os.Exit(1)
	}
}

// subcommand splits the command's name (serve by default; two words for migrate status and
// rollup check|repair) from its flags.
func subcommand(args []string) (string, []string) {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if len(args) > 0 && (cmd == "migrate" && args[0] == "status" || cmd == "rollup" && (args[0] == "check" || args[0] == "repair")) {
		cmd, args = cmd+" "+args[0], args[1:]
	}
	return cmd, args
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, args := subcommand(args)
	if cmd == "help" {
		cmd, args, stderr = "serve", []string{"-h"}, stdout // asked for: the usage goes to stdout
	}
	cfg, err := parseConfig(cmd, args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the flag package printed the usage
	} else if err != nil {
		return err
	}
	log := slog.New(server.RedactSecrets(server.WithRequestIDs(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))))
	slog.SetDefault(log)

	switch cmd {
	case "serve", "migrate", "migrate status", "create-operator-key", "seed-demo", "seed", "rollup check", "rollup repair":
	default:
		return fmt.Errorf("unknown command %q (serve, migrate, migrate status, create-operator-key, seed-demo, seed, rollup check, rollup repair, help; see -h)", cmd)
	}
	if cmd == "serve" {
		var stopTracing func(context.Context) error
		if cfg.tracing, stopTracing, err = server.StartTracing(ctx, getenv); err != nil {
			return fmt.Errorf("OpenTelemetry: %w", err)
		}
		defer flushTraces(stopTracing, log)
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	if cmd == "migrate status" {
		return printMigrationStatus(ctx, store, stdout)
	}
	if cmd != "serve" || cfg.migrate {
		if err := store.Migrate(ctx); err != nil {
			return err
		}
	}
	switch cmd {
	case "migrate":
		fmt.Fprintln(stdout, "migrations applied")
		return nil
	case "rollup check", "rollup repair":
		return rollup(ctx, store, cmd == "rollup repair", stdout)
	case "create-operator-key":
		k, err := store.CreateFirstOperatorKey(ctx, "first operator key")
		if errors.Is(err, models.ErrOperatorKeyExists) {
			return fmt.Errorf("this database already has an operator key, so create-operator-key makes none; %s", keyHint)
		} else if err != nil {
			return err
		}
		printKey(stdout, cfg.export, "Operator API key (shown once, keep it safe):", k.Token)
		return nil
	case "seed-demo":
		demo, err := store.SeedDemo(ctx)
		if errors.Is(err, models.ErrNotEmpty) {
			return fmt.Errorf("this database already has resellers, so seed-demo leaves it as it is; %s", keyHint)
		} else if err != nil {
			return err
		}
		printKey(stdout, cfg.export, fmt.Sprintf("Demo data created for reseller %q.\nReseller API key (shown once):", demo.ResellerName), demo.Token)
		return nil
	case "seed":
		cfg.seed.Progress = func(msg string) { fmt.Fprintln(stdout, msg) }
		rep, err := models.Seed(ctx, store, cfg.seed)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded in %s: %v; largest account %d (%d users), %d accounts with conflicts\n",
			rep.Total.Round(time.Second), rep.Rows, rep.LargestAccountID, rep.LargestAccountUsers, rep.ConflictAccounts)
		return nil
	}
	return serve(ctx, cfg, store, log)
}

// printMigrationStatus prints one line per migration: its file, then "applied" and when, or "pending".
func printMigrationStatus(ctx context.Context, store *models.Store, stdout io.Writer) error {
	states, err := store.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range states {
		switch {
		case m.Applied:
			fmt.Fprintf(stdout, "%-32s applied %s\n", m.Name, m.AppliedAt.Format(time.RFC3339))
		case m.Legacy:
			fmt.Fprintf(stdout, "%-32s applied before goose (recorded at the next migrate)\n", m.Name)
		default:
			fmt.Fprintf(stdout, "%-32s pending\n", m.Name)
		}
	}
	return nil
}

func parseConfig(cmd string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("licensing-api "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(getenv, "LISTEN_ADDR", "127.0.0.1:8080"), "listen address (LISTEN_ADDR)")
	dbURL := fs.String("database-url", getenv("DATABASE_URL"), "mysql://user:pass@host:port/db or a SQLite file path; empty means the embedded store "+models.DefaultSQLitePath+" (DATABASE_URL)")
	level := fs.String("log-level", envOr(getenv, "LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	migrate := fs.String("migrate", envOr(getenv, "MIGRATE_ON_START", "true"), "apply migrations at start-up (MIGRATE_ON_START)")
	grace := fs.String("grace-period", envOr(getenv, "GRACE_PERIOD", "720h"), "how long a renewed enrollment's subscriptions stay IN_GRACE, e.g. 720h (GRACE_PERIOD)")
	activationURL := fs.String("activation-url", getenv("ACTIVATION_URL"), "the page activation links point to; default http://<listen address>/activate (ACTIVATION_URL)")
	dispatch := fs.String("dispatch-interval", envOr(getenv, "DISPATCH_INTERVAL", "30s"), "how often due activation emails are sent and ended grace periods deprovisioned (DISPATCH_INTERVAL)")
	limits := limitFlags(fs, getenv)
	clusterSettings := clusterFlags(fs, getenv)
	hooks := webhookFlags(fs, getenv)
	origins := fs.String("cors-allowed-origins", getenv("CORS_ALLOWED_ORIGINS"), "comma-separated browser origins allowed to call the API, e.g. https://portal.example.com; none by default (CORS_ALLOWED_ORIGINS)")
	aggregations := fs.Int("aggregation-concurrency", envInt(getenv, "AGGREGATION_CONCURRENCY", models.DefaultAggregationConcurrency),
		"aggregation queries one server runs at once, whatever their keys (AGGREGATION_CONCURRENCY)")
	env := fs.String("env", envOr(getenv, "APP_ENV", "development"), "development or production; production refuses to start without SMTP_URL (APP_ENV)")
	smtpURL := fs.String("smtp-url", getenv("SMTP_URL"), "the mail server: smtp://user:pass@host:587?from=... (STARTTLS) or smtps://...:465 (SMTP_URL)")
	mailDir := fs.String("mail-dir", getenv("MAIL_DIR"), "development: write activation emails as .eml files into this folder instead of sending them (MAIL_DIR)")
	mailFrom := fs.String("mail-from", getenv("MAIL_FROM"), "the From address of activation emails; wins over SMTP_URL's from= (MAIL_FROM)")
	fs.Usage = func() { usage(fs) }
	var seed models.SeedOptions
	export := fs.Bool("export", false, "create-operator-key and seed-demo: print only the line export LICENSING_API_KEY=<key>, for eval \"$(...)\"")
	if cmd == "seed" {
		fs.IntVar(&seed.Assignments, "assignments", 1_000_000, "license assignments to generate")
		fs.IntVar(&seed.Subscriptions, "subscriptions", 100_000, "subscriptions to generate")
		fs.IntVar(&seed.Resellers, "resellers", 1, "resellers to spread the accounts over")
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var cfg config
	cfg.addr, cfg.databaseURL, cfg.seed, cfg.export = *addr, *dbURL, seed, *export
	var err error
	if cfg.limits, err = limits(); err != nil {
		return cfg, err
	}
	if cfg.cluster, err = clusterSettings(); err != nil {
		return cfg, err
	}
	if cfg.webhooks, err = hooks(); err != nil {
		return cfg, err
	}
	if cfg.allowedOrigins, err = server.ParseAllowedOrigins(*origins); err != nil {
		return cfg, err
	}
	if cfg.aggregations = *aggregations; cfg.aggregations < 1 {
		return cfg, fmt.Errorf("aggregation concurrency %d: use at least 1", cfg.aggregations)
	}
	if err := cfg.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return cfg, fmt.Errorf("log level %q: use debug, info, warn or error", *level)
	}
	if cfg.migrate, err = strconv.ParseBool(*migrate); err != nil {
		return cfg, fmt.Errorf("migrate %q: use true or false", *migrate)
	}
	if cfg.gracePeriod, err = time.ParseDuration(*grace); err != nil || cfg.gracePeriod <= 0 {
		return cfg, fmt.Errorf("grace period %q: use a positive duration such as 720h", *grace)
	}
	if cfg.dispatchInterval, err = time.ParseDuration(*dispatch); err != nil || cfg.dispatchInterval <= 0 {
		return cfg, fmt.Errorf("dispatch interval %q: use a positive duration such as 30s", *dispatch)
	}
	if u, err := url.Parse(*activationURL); *activationURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return cfg, fmt.Errorf("activation url %q: use an absolute http(s) URL", *activationURL)
	}
	cfg.activationURL = *activationURL
	switch *env {
	case "development", "production":
		cfg.production = *env == "production"
	default:
		return cfg, fmt.Errorf("env %q: use development or production", *env)
	}
	cfg.mail = mail.Config{SMTPURL: *smtpURL, Dir: *mailDir, From: *mailFrom, Production: cfg.production}
	if _, _, err := models.ParseDatabaseURL(cfg.databaseURL); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// usage lists the commands, one line each, then the flags.
func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage: licensing-api [command] [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.help)
	}
	fmt.Fprintf(w, "\nFlags (each also read from the environment variable in parentheses; flags win):\n")
	fs.PrintDefaults()
}

// printKey prints a new key: with export, as the one line a shell can eval.
func printKey(w io.Writer, export bool, title, token string) {
	if export {
		// Single quotes keep any shell from reading the key; keys never contain a quote.
		fmt.Fprintf(w, "export LICENSING_API_KEY='%s'\n", token)
		return
	}
	fmt.Fprintf(w, "%s\n%s\n", title, token)
}

// defaultActivationURL is the /activate page of the address the server listens on; an
// unspecified host (":8080", "0.0.0.0:8080") becomes localhost.
func defaultActivationURL(listen net.Addr) string {
	host, port, err := net.SplitHostPort(listen.String())
	if err != nil {
		return "http://" + listen.String() + "/activate"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/activate"
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func serve(ctx context.Context, cfg config, store *models.Store, log *slog.Logger) error {
	cfg.mail.Log = log
	sender, mode, err := mail.NewSender(cfg.mail)
	if err != nil {
		return err
	}
	log.Info("activation email", "mail_mode", string(mode))
	res := &resolvers.Resolver{Store: store, GracePeriod: cfg.gracePeriod}
	skus, err := store.CatalogSize(ctx)
	if err != nil {
		return err
	}
	metrics, health := server.NewMetrics(store), &server.Health{}
	handler, err := server.New(server.Config{Store: store, Resolver: res, Log: log, Limits: cfg.limits, CatalogSize: skus,
		AllowedOrigins: cfg.allowedOrigins, Metrics: metrics, Health: health, Tracing: cfg.tracing})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           handler,
		MaxHeaderBytes:    64 << 10,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Past the longest request deadline, so a slow aggregation still gets its 503 written.
		WriteTimeout: cfg.limits.AggregationTimeout + 15*time.Second,
		IdleTimeout:  120 * time.Second,
	}
	// Bind first, so that a port in use fails here and "listening" is only logged when it is true.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (is another server using it? choose another address with -addr or LISTEN_ADDR): %w", cfg.addr, err)
	}
	if cfg.activationURL == "" {
		cfg.activationURL = defaultActivationURL(ln.Addr())
	}
	// Signals are read here rather than through a cancelled context, so that SIGTERM (an
	// orchestrator stopping a replica) can drain first while SIGINT (Ctrl-C) stops at once.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	work, stopWork := context.WithCancel(ctx)
	defer stopWork()
	dispatcher := &mail.Dispatcher{Store: store, Sender: sender, BaseURL: cfg.activationURL, Now: time.Now, Log: log, Counted: metrics.ActivationEmail}
	go dispatcher.Run(work, cfg.dispatchInterval)
	startSweeps(work, store, cfg.dispatchInterval, log, metrics)
	startWebhooks(work, cfg.webhooks, store, cfg.dispatchInterval, log, metrics)
	errc := make(chan error, 1)
	go func() {
		log.Info("listening", "addr", ln.Addr().String(), "store", string(store.Dialect()), "galera", store.Galera(),
			"explorer", "http://"+ln.Addr().String()+"/", "activation_url", cfg.activationURL)
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	case sig := <-sigs:
		if sig == syscall.SIGTERM {
			drain(ctx, sigs, health, cfg.drainDelay, log)
		}
	}
	// Finish in-flight requests, then stop.
	log.Info("shutting down", "timeout", cfg.shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("requests still running after %s (SHUTDOWN_TIMEOUT): %w", cfg.shutdownTimeout, err)
	}
	return nil
}

// drain turns readiness to 503 and keeps serving for delay, so that load balancers notice and
// stop sending requests before the listener closes; a second signal or the end of ctx cuts the
// wait short.
func drain(ctx context.Context, sigs <-chan os.Signal, health *server.Health, delay time.Duration, log *slog.Logger) {
	health.Drain()
	log.Info("draining: /readyz answers 503; still serving until the drain delay ends", "drain_delay", delay.String())
	select {
	case <-time.After(delay):
	case <-sigs:
	case <-ctx.Done():
	}
}

// rollup checks the license summary's rollup against the ledger (models.CheckLicenseCells) and,
// for repair, rewrites it (RebuildLicenseCells). check fails on drift, so scripts can alert.
func rollup(ctx context.Context, store *models.Store, repair bool, stdout io.Writer) error {
	now := time.Now()
	drift, err := store.CheckLicenseCells(ctx, now, 5)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rollup built: %v; pools checked: %d; drifted: %d\n", drift.Built, drift.Pools, drift.Drifted)
	for _, e := range drift.Examples {
		fmt.Fprintln(stdout, "  "+e)
	}
	if repair {
		if err := store.RebuildLicenseCells(ctx, now); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "rollup rewritten from the ledger")
		return nil
	}
	if drift.Drifted > 0 || !drift.Built {
		return fmt.Errorf("the rollup drifted from the ledger in %d pools (built: %v): run rollup repair", drift.Drifted, drift.Built)
	}
	return nil
}

// startSweeps starts the store's periodic sweeps: deprovisioning the subscriptions whose grace
// period has ended (R-SUB-3), and refreshing the license summary's cells whose validity ended (a
// term ended, licenses became available, a reservation was billed) or whose refresh after a
// write failed.
func startSweeps(ctx context.Context, store *models.Store, interval time.Duration, log *slog.Logger, metrics *server.Metrics) {
	go everySweep(ctx, interval, log, metrics, "deprovision", "deprovisioning ended grace periods",
		"deprovisioned subscriptions whose grace period ended", func(ctx context.Context) (int, error) {
			return store.SweepDeprovisioned(ctx, time.Now(), 200)
		})
	go everySweep(ctx, interval, log, metrics, "license_cells", "refreshing the license summary's rollup", "",
		func(ctx context.Context) (int, error) { return store.SweepLicenseCells(ctx, time.Now(), 2000) })
}

// everySweep runs a sweep every interval and counts each run as task; a failure is logged as
// failed, and a run that changed something as did (unless did is ""). A run cut short by
// shutdown is neither counted nor logged.
func everySweep(ctx context.Context, interval time.Duration, log *slog.Logger, metrics *server.Metrics, task, failed, did string,
	run func(context.Context) (int, error)) {
	periodic.Every(ctx, interval, func(ctx context.Context) {
		n, err := run(ctx)
		if ctx.Err() != nil {
			return
		}
		metrics.TaskRun(task, n, err)
		if err != nil {
			log.ErrorContext(ctx, failed, "err", err)
		} else if n > 0 && did != "" {
			log.InfoContext(ctx, did, "count", n)
		}
	})
}

// clusterFlags declares the settings of running several replicas; the returned function reads
// them once the flags are parsed.
func clusterFlags(fs *flag.FlagSet, getenv func(string) string) func() (cluster, error) {
	readURL := fs.String("database-read-url", getenv("DATABASE_READ_URL"),
		"optional replica for BI aggregations (licenseSummary, accountsWithConflicts, licenseConflicts), which may lag; same form and engine as DATABASE_URL (DATABASE_READ_URL)")
	dbWait := fs.Duration("db-wait-timeout", envDuration(getenv, "DB_WAIT_TIMEOUT", time.Minute),
		"how long to wait at start for a database that is down or (Galera) not synced, 0 for no wait (DB_WAIT_TIMEOUT)")
	drainDelay := fs.Duration("drain-delay", envDuration(getenv, "DRAIN_DELAY", 5*time.Second),
		"on SIGTERM, how long /readyz answers 503 while requests are still served, before the listener closes (DRAIN_DELAY)")
	shutdown := fs.Duration("shutdown-timeout", envDuration(getenv, "SHUTDOWN_TIMEOUT", 40*time.Second),
		"on stop, how long requests in flight may take to finish (SHUTDOWN_TIMEOUT)")
	keyCacheTTL := fs.Duration("key-cache-ttl", envDuration(getenv, "KEY_CACHE_TTL", models.DefaultKeyCacheTTL),
		"how long a checked API key is trusted without the database: a key revoked through another replica works here at most this long; 0 checks every request (KEY_CACHE_TTL)")
	syncWait := fs.Int("wsrep-sync-wait", envInt(getenv, "WSREP_SYNC_WAIT", models.DefaultSyncWait),
		"on MariaDB Galera, the sessions' wsrep_sync_wait: 3 (reads and updates see every earlier commit of the cluster) by default, 0 for none (WSREP_SYNC_WAIT)")
	return func() (cluster, error) {
		c := cluster{readURL: *readURL, dbWait: *dbWait, drainDelay: *drainDelay, shutdownTimeout: *shutdown, syncWait: *syncWait, keyCacheTTL: *keyCacheTTL}
		if c.keyCacheTTL < 0 {
			return c, fmt.Errorf("key cache ttl %s: use 0 or a positive duration such as 5s", c.keyCacheTTL)
		}
		if c.keyCacheTTL == 0 {
			c.keyCacheTTL = -1 // models: negative turns the cache off
		}
		if c.dbWait < 0 || c.drainDelay < 0 || c.shutdownTimeout <= 0 {
			return c, errors.New("db-wait-timeout and drain-delay must be durations of 0 or more, shutdown-timeout a positive one, such as 30s")
		}
		if c.syncWait < 0 || c.syncWait > 15 {
			return c, fmt.Errorf("wsrep-sync-wait %d: use 0 to 15 (MariaDB's bit mask; 3 is the default)", c.syncWait)
		}
		if c.readURL != "" {
			if _, _, err := models.ParseDatabaseURL(c.readURL); err != nil {
				return c, fmt.Errorf("DATABASE_READ_URL: %w", err)
			}
		}
		return c, nil
	}
}

// openStore opens the database, waiting for it at most DB_WAIT_TIMEOUT.
func openStore(ctx context.Context, cfg config, log *slog.Logger) (*models.Store, error) {
	syncWait := cfg.syncWait
	if syncWait == 0 {
		syncWait = models.SyncWaitOff // WSREP_SYNC_WAIT=0 asks for none
	}
	return models.OpenWhenReady(ctx, models.Config{DatabaseURL: cfg.databaseURL, Logger: log,
		StatementTimeout: cfg.limits.AggregationTimeout, AggregationConcurrency: cfg.aggregations,
		KeyCacheTTL: cfg.keyCacheTTL, ReadURL: cfg.readURL, SyncWait: syncWait, TraceSQL: cfg.tracing}, cfg.dbWait)
}

// flushTraces sends the spans still buffered before the process exits.
func flushTraces(stop func(context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		log.Warn("flushing traces", "err", err)
	}
}

// limitFlags declares a flag (and environment variable) per server limit; the returned function
// reads them once the flags are parsed. The README's "Limits" section lists the same settings.
func limitFlags(fs *flag.FlagSet, getenv func(string) string) func() (server.Limits, error) {
	d := server.DefaultLimits()
	ints := []struct {
		name, env, help string
		def             int
		into            func(*server.Limits, int)
	}{
		{"max-query-bytes", "MAX_QUERY_BYTES", "bytes of query text", d.MaxQueryBytes, func(l *server.Limits, v int) { l.MaxQueryBytes = v }},
		{"max-tokens", "MAX_TOKENS", "lexer tokens of a query", d.MaxTokens, func(l *server.Limits, v int) { l.MaxTokens = v }},
		{"max-fields", "MAX_FIELDS", "fields of a query, fragments expanded", d.MaxFields, func(l *server.Limits, v int) { l.MaxFields = v }},
		{"max-aliases", "MAX_ALIASES", "aliases of a query", d.MaxAliases, func(l *server.Limits, v int) { l.MaxAliases = v }},
		{"max-fragment-spreads", "MAX_FRAGMENT_SPREADS", "fragment spreads of a query, expanded", d.MaxFragmentSpreads, func(l *server.Limits, v int) { l.MaxFragmentSpreads = v }},
		{"max-directives", "MAX_DIRECTIVES", "directives of a query", d.MaxDirectives, func(l *server.Limits, v int) { l.MaxDirectives = v }},
		{"max-depth", "MAX_DEPTH", "nesting depth of a query", d.MaxDepth, func(l *server.Limits, v int) { l.MaxDepth = v }},
		{"max-aggregations", "MAX_AGGREGATIONS", "aggregations in one request", d.MaxAggregations, func(l *server.Limits, v int) { l.MaxAggregations = v }},
		{"max-query-cost", "MAX_QUERY_COST", "cost points of one request", d.MaxCost, func(l *server.Limits, v int) { l.MaxCost = v }},
		{"key-bucket-size", "KEY_BUCKET_SIZE", "default cost bucket of a key, in points", d.KeyDefaults.BucketSize, func(l *server.Limits, v int) { l.KeyDefaults.BucketSize = v }},
		{"key-restore-rate", "KEY_RESTORE_RATE", "default cost points restored per second", d.KeyDefaults.RestoreRate, func(l *server.Limits, v int) { l.KeyDefaults.RestoreRate = v }},
		{"key-max-in-flight", "KEY_MAX_IN_FLIGHT", "default requests of a key in flight at once", d.KeyDefaults.MaxInFlight, func(l *server.Limits, v int) { l.KeyDefaults.MaxInFlight = v }},
	}
	vals := make([]*int, len(ints))
	for i, f := range ints {
		vals[i] = fs.Int(f.name, envInt(getenv, f.env, f.def), "the most "+f.help+" ("+f.env+")")
	}
	reqTimeout := fs.Duration("request-timeout", envDuration(getenv, "REQUEST_TIMEOUT", d.RequestTimeout), "deadline of a request (REQUEST_TIMEOUT)")
	aggTimeout := fs.Duration("aggregation-timeout", envDuration(getenv, "AGGREGATION_TIMEOUT", d.AggregationTimeout), "deadline of a request with aggregations (AGGREGATION_TIMEOUT)")
	return func() (server.Limits, error) {
		l := d
		for i, f := range ints {
			if *vals[i] < 1 {
				return l, fmt.Errorf("%s %d: use a positive number", f.name, *vals[i])
			}
			f.into(&l, *vals[i])
		}
		if *reqTimeout <= 0 || *aggTimeout <= 0 {
			return l, errors.New("request and aggregation timeouts must be positive durations such as 10s")
		}
		l.RequestTimeout, l.AggregationTimeout = *reqTimeout, *aggTimeout
		if l.KeyDefaults.BucketSize < l.MaxCost {
			return l, fmt.Errorf("key-bucket-size %d is below max-query-cost %d: the largest requests could never run", l.KeyDefaults.BucketSize, l.MaxCost)
		}
		return l, nil
	}
}

// envInt and envDuration read a default from the environment; a malformed value is kept as a
// sentinel that the flag check refuses.
func envInt(getenv func(string) string, key string, def int) int {
	return envValue(getenv, key, def, strconv.Atoi)
}

func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	return envValue(getenv, key, def, time.ParseDuration)
}

func envValue[T int | time.Duration](getenv func(string) string, key string, def T, parse func(string) (T, error)) T {
	v := getenv(key)
	if v == "" {
		return def
	}
	n, err := parse(v)
	if err != nil {
		return -1
	}
	return n
}
