// Command readbench measures the API's reads side by side with what they are compared to, in one
// run on a seeded database (issue 11): a small authenticated query against a plain net/http
// handler in the same process; the front-end's list and detail pages against hand-written
// database/sql implementations of the same JSON, at concurrency 1 (each side alone in its window,
// then alternating request by request) and 16; the statements one list
// page costs for first = 10 and 100, and one detail page; every grouping of the license summary.
// The README's "Reading fast" section has the figures and the command.
//
//	readbench -database-url mysql://root@127.0.0.1:3306/bench -duration 5s
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/licensing-api/licensing-api/server"
)

type bench struct {
	client   *http.Client
	key      string
	duration time.Duration
	// rounds is how many times each page's pair of loads runs, ours and the hand-written one
	// one after the other, so that a slow moment of the machine falls on both.
	rounds int
}

// post sends a GraphQL document and returns the body.
func (b *bench) post(url, query string, vars map[string]any) ([]byte, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.key)
	res, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d: %.300s", res.StatusCode, out)
	}
	return out, err
}

// result is one load run: requests per second and latency percentiles.
type result struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
	// cpu and allocs are this process's CPU time and heap allocations per request (client and
	// server both run here): steadier than latency when other work shares the machine.
	cpu    time.Duration
	allocs uint64
	// goroutines is how many goroutines this process started per request: each is a hand-off
	// between threads, which at concurrency 1 also wakes an idle one.
	goroutines uint64
	// dbCPU is the database server's CPU time per request, when it runs on this machine.
	dbCPU time.Duration
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// databaseCPU is the CPU time of the MariaDB (or MySQL) servers on this machine, summed (a
// Galera test cluster left running adds its idle share), -1 when there is none. The bench's
// database is on this machine (127.0.0.1), where its server's CPU per request says what each
// implementation's statements cost it, apart from this process.
func databaseCPU() time.Duration {
	dirs, _ := os.ReadDir("/proc")
	total, found := time.Duration(0), false
	for _, d := range dirs {
		comm, err := os.ReadFile("/proc/" + d.Name() + "/comm")
		if err != nil || (strings.TrimSpace(string(comm)) != "mariadbd" && strings.TrimSpace(string(comm)) != "mysqld") {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis; utime and stime are the 14th and
		// 15th fields of the line, in clock ticks (100 per second on Linux).
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total, found = total+time.Duration(u+st)*10*time.Millisecond, true
	}
	if !found {
		return -1
	}
	return total
}

// goroutinesCreated is how many goroutines this process has started.
func goroutinesCreated() uint64 {
	m := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return m[0].Value.Uint64()
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// load sends the same request from workers clients for the bench's duration.
func (b *bench) load(workers int, url, query string, vars map[string]any) result {
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	deadline := time.Now().Add(b.duration)
	cpu0, allocs0, db0, g0 := processCPU(), mallocs(), databaseCPU(), goroutinesCreated()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				start := time.Now()
				if _, err := b.post(url, query, vars); err != nil {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	cpu, allocs, db, g := processCPU()-cpu0, mallocs()-allocs0, databaseCPU()-db0, goroutinesCreated()-g0
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{rps: float64(len(lat)) / b.duration.Seconds(), errors: errs.Load()}
	if n := len(lat); n > 0 {
		r.p50, r.p99 = lat[n/2], lat[min(n-1, n*99/100)]
		r.cpu, r.allocs, r.goroutines = cpu/time.Duration(n), allocs/uint64(n), g/uint64(n)
		if db0 >= 0 {
			r.dbCPU = db / time.Duration(n)
		}
	}
	return r
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func main() {
	dbURL := flag.String("database-url", "mysql://root@127.0.0.1:3306/bench", "a seeded database (licensing-api seed)")
	duration := flag.Duration("duration", 5*time.Second, "how long each load runs")
	rounds := flag.Int("rounds", 3, "how many times each page's pair of loads runs (medians are reported)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the whole run to this file")
	flag.Parse()
	// As the server binary runs (licensing-api main): both sides of every comparison share it.
	gcPercent, memLimit := server.TuneGC(os.Getenv)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "readbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
		profiled = true
	}
	if *memProfile != "" {
		defer writeHeapProfile(*memProfile)
	}
	fmt.Printf("GOGC %d, GOMEMLIMIT %d MiB\n", gcPercent, memLimit>>20)
	if *rounds < 1 {
		*rounds = 1
	}
	if err := run(*dbURL, *duration, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "readbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// writeHeapProfile writes the allocations made so far (pprof -sample_index=alloc_objects).
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		_ = f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "readbench:", err)
	}
}

func run(dbURL string, duration time.Duration, rounds int) error {
	ctx := context.Background()
	store, err := models.Open(ctx, models.Config{DatabaseURL: dbURL})
	if err != nil {
		return err
	}
	defer store.Close()
	op := models.Caller{Role: models.RoleOperator}
	resellers, err := store.Resellers(ctx, op, models.Page{First: 1})
	if err != nil || len(resellers.Items) == 0 {
		return fmt.Errorf("no reseller: seed the database first (licensing-api seed): %v", err)
	}
	reseller := resellers.Items[0].ID
	key, err := store.CreateAPIKey(ctx, op, &reseller, models.RoleReader, "readbench", time.Now().UTC())
	if err != nil {
		return err
	}
	skus, err := store.CatalogSize(ctx)
	if err != nil {
		return err
	}
	// Generous limits: this measures the work, not the throttle.
	limits := server.Limits{KeyDefaults: models.KeyLimits{BucketSize: 1 << 30, RestoreRate: 1 << 30, MaxInFlight: 1 << 20}}
	counter := &statements{}
	h, err := server.New(server.Config{Store: store, Resolver: &resolvers.Resolver{Store: store}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: limits, CatalogSize: skus})
	if err != nil {
		return err
	}
	api := httptest.NewServer(labelled("api", counter.wrap(h)))
	defer api.Close()
	plainSrv := httptest.NewServer(labelled("plain", http.HandlerFunc(plain)))
	defer plainSrv.Close()
	db, rd, err := openRaw(ctx, dbURL, reseller)
	if err != nil {
		return err
	}
	defer db.Close()
	rawSrv := httptest.NewServer(labelled("raw", rawList{db: db, reseller: reseller}))
	defer rawSrv.Close()
	rawDetailSrv := httptest.NewServer(labelled("raw", rd))
	defer rawDetailSrv.Close()

	b := &bench{client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}, key: key.Token, duration: duration, rounds: rounds}
	fmt.Printf("readbench on %s, %s per load, %d rounds per page and concurrency, reseller %d\n\n", redacted(dbURL), duration, rounds, reseller)
	if os.Getenv("READBENCH_ONLY_SUMMARY") != "" { // the license summary's groupings alone
		return summaries(b, api.URL+"/graphql")
	}
	if os.Getenv("READBENCH_ONLY_LIST") == "" && os.Getenv("READBENCH_ONLY_DETAIL") == "" {
		small(b, api.URL+"/graphql", plainSrv.URL)
	}
	if os.Getenv("READBENCH_ONLY_LIST") != "" {
		return listPage(b, api.URL+"/graphql", rawSrv.URL, counter)
	}
	if os.Getenv("READBENCH_ONLY_DETAIL") != "" {
		return detailPage(b, api.URL+"/graphql", rawDetailSrv.URL, rd, counter)
	}
	if os.Getenv("READBENCH_ONLY_SMALL") != "" {
		return nil
	}
	if err := listPage(b, api.URL+"/graphql", rawSrv.URL, counter); err != nil {
		return err
	}
	if err := detailPage(b, api.URL+"/graphql", rawDetailSrv.URL, rd, counter); err != nil {
		return err
	}
	return summaries(b, api.URL+"/graphql")
}

// openRaw opens the database the hand-written pages read, with the API's DSN (parameters
// interpolated), and the detail page's handler.
func openRaw(ctx context.Context, dbURL string, reseller int64) (*sql.DB, *rawDetail, error) {
	_, dsn, _ := models.ParseDatabaseURL(dbURL)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(50)
	db.SetMaxIdleConns(50)
	rd, err := newRawDetail(ctx, db, reseller)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return db, rd, nil
}

func redacted(u string) string {
	if i := strings.Index(u, "@"); i > 0 && strings.Contains(u[:i], ":") {
		return u[:strings.Index(u, "://")+3] + "…" + u[i:]
	}
	return u
}

func small(b *bench, api, plainURL string) {
	const q = `{ viewer { role } }`
	ours := b.load(32, api, q, nil)
	base := b.load(32, plainURL, q, nil)
	fmt.Println("small authenticated query { viewer { role } }, 32 clients")
	fmt.Printf("  plain net/http handler: %8.0f req/s  p50 %s  p99 %s\n", base.rps, ms(base.p50), ms(base.p99))
	fmt.Printf("  licensing-api:          %8.0f req/s  p50 %s  p99 %s  (%.0f%% of the plain handler; errors %d)\n\n",
		ours.rps, ms(ours.p50), ms(ours.p99), 100*ours.rps/base.rps, ours.errors)
}

// compare runs a page's loads at concurrency c, ours and the hand-written one in turn for the
// bench's rounds, and prints the medians over the rounds with the median of the rounds' ratios.
// At concurrency 1 it then alternates the two request by request for as long again: the
// machine's speed here drifts by a third within minutes, which weighs on the windows' ratio
// (each side alone for its window) but on both sides of the alternating one alike.
func (b *bench) compare(c int, api, raw, query string, vars map[string]any) {
	var ours, base []result
	var ratios []float64
	for range b.rounds {
		o, r := b.load(c, api, query, vars), b.load(c, raw, query, vars)
		ours, base = append(ours, o), append(base, r)
		ratios = append(ratios, float64(o.p50)/float64(r.p50))
	}
	o, r := medianResult(ours), medianResult(base)
	sort.Float64s(ratios)
	fmt.Printf("  concurrency %2d: database/sql p50 %s p99 %s | licensing-api p50 %s p99 %s  (%.2fx at p50, median of %d rounds %s; errors %d)\n",
		c, ms(r.p50), ms(r.p99), ms(o.p50), ms(o.p99), ratios[len(ratios)/2], len(ratios), ratioList(ratios), o.errors+r.errors)
	fmt.Printf("                  this process per request: database/sql %s CPU, %d allocations, %d goroutines | licensing-api %s CPU, %d allocations, %d goroutines\n",
		ms(r.cpu), r.allocs, r.goroutines, ms(o.cpu), o.allocs, o.goroutines)
	if r.dbCPU > 0 {
		fmt.Printf("                  database server per request: database/sql %.2f ms CPU | licensing-api %.2f ms CPU\n",
			float64(r.dbCPU.Microseconds())/1000, float64(o.dbCPU.Microseconds())/1000)
	}
	if c == 1 {
		// The loads above run each side alone in its window; here the two alternate.
		o, r, pairs, errs := b.alternate(api, raw, query, vars)
		fmt.Printf("                  alternating one request of each for %s: database/sql p50 %s | licensing-api p50 %s (%.2fx, %d pairs; errors %d)\n",
			time.Duration(b.rounds)*b.duration, ms(r), ms(o), float64(o)/float64(r), pairs, errs)
	}
}

// medianResult is the median of each figure over rounds (errors summed).
func medianResult(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	out := result{
		rps:        pick(func(r result) float64 { return r.rps }),
		p50:        time.Duration(pick(func(r result) float64 { return float64(r.p50) })),
		p99:        time.Duration(pick(func(r result) float64 { return float64(r.p99) })),
		cpu:        time.Duration(pick(func(r result) float64 { return float64(r.cpu) })),
		allocs:     uint64(pick(func(r result) float64 { return float64(r.allocs) })),
		goroutines: uint64(pick(func(r result) float64 { return float64(r.goroutines) })),
		dbCPU:      time.Duration(pick(func(r result) float64 { return float64(r.dbCPU) })),
	}
	for _, r := range rs {
		out.errors += r.errors
	}
	return out
}

func ratioList(sorted []float64) string {
	parts := make([]string, len(sorted))
	for i, v := range sorted {
		parts[i] = fmt.Sprintf("%.2f", v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func listPage(b *bench, api, raw string, counter *statements) error {
	vars := map[string]any{"first": 50}
	if err := sameData(b, listPageQuery, api, raw, vars); err != nil {
		return err
	}
	fmt.Println("front-end list page: enrollments(first: 50) with agreement, customer and subscriptions(first: 20)")
	for _, c := range []int{1, 16} {
		b.compare(c, api, raw, listPageQuery, vars)
	}
	for _, first := range []int{10, 100} {
		n, err := counter.of(func() error {
			_, err := b.post(api, listPageQuery, map[string]any{"first": first})
			return err
		})
		if err != nil {
			return err
		}
		fmt.Printf("  statements per request, first = %3d: %d\n", first, n)
	}
	fmt.Println()
	return nil
}

func detailPage(b *bench, api, raw string, rd *rawDetail, counter *statements) error {
	out, err := b.post(api, `{ enrollments(first: 1) { edges { node { number } } } }`, nil)
	if err != nil {
		return err
	}
	var first struct {
		Data struct {
			Enrollments struct {
				Edges []struct{ Node struct{ Number string } }
			}
		}
	}
	if err := json.Unmarshal(out, &first); err != nil || len(first.Data.Enrollments.Edges) == 0 {
		return fmt.Errorf("no enrollment for the detail page: %v", err)
	}
	// One instant for both sides and every request, so that they answer the same.
	asOf := time.Now().UTC().Format(time.RFC3339Nano)
	vars := map[string]any{"n": first.Data.Enrollments.Edges[0].Node.Number, "asOf": asOf}
	samples, err := rd.samples(context.Background())
	if err != nil {
		return err
	}
	for _, n := range append([]string{vars["n"].(string)}, samples...) {
		if err := sameData(b, detailPageQuery, api, raw, map[string]any{"n": n, "asOf": asOf}); err != nil {
			return fmt.Errorf("enrollment %s: %w", n, err)
		}
	}
	fmt.Printf("front-end detail page: an enrollment with its emails, subscriptions and activationStatus as of one instant (same data checked on %d enrollments)\n", 1+len(samples))
	for _, c := range []int{1, 16} {
		b.compare(c, api, raw, detailPageQuery, vars)
	}
	n, err := counter.of(func() error {
		_, err := b.post(api, detailPageQuery, vars)
		return err
	})
	if err != nil {
		return err
	}
	before := rd.statements.Load()
	if _, err := b.post(raw, detailPageQuery, vars); err != nil {
		return err
	}
	fmt.Printf("  statements per request: licensing-api %d, database/sql %d\n\n", n, rd.statements.Load()-before)
	return nil
}

// sameData checks that the API and the hand-written version answer the same data to query.
func sameData(b *bench, query, api, raw string, vars map[string]any) error {
	var ours, theirs struct{ Data any }
	a, err := b.post(api, query, vars)
	if err != nil {
		return err
	}
	r, err := b.post(raw, query, vars)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(a, &ours); err != nil {
		return err
	}
	if err := json.Unmarshal(r, &theirs); err != nil {
		return err
	}
	if ours.Data == nil || !reflect.DeepEqual(ours.Data, theirs.Data) {
		return fmt.Errorf("the API and the hand-written page differ:\nAPI: %.2000s\nraw: %.2000s", a, r)
	}
	return nil
}

func summaries(b *bench, api string) error {
	fmt.Println("license summary, one request each (median of 5, and the fastest and slowest), groups returned")
	for _, g := range [][]string{{"SKU"}, {"FAMILY"}, {"PROGRAM"}, {"RESELLER"}, {"CUSTOMER"}, {"AGREEMENT"}, {"ENROLLMENT"}, {"ACCOUNT"},
		{"CUSTOMER", "SKU"}, {"ACCOUNT", "SKU"}, {"PROGRAM", "FAMILY"}} {
		q := `query($g: [SummaryDimension!]!) { licenseSummary(groupBy: $g, first: 100) { totalCount edges { node { licensed inGrace reservedNotBilled assigned available } } } }`
		var times []time.Duration
		var total int
		for i := 0; i < 5; i++ {
			start := time.Now()
			out, err := b.post(api, q, map[string]any{"g": g})
			if err != nil {
				return err
			}
			times = append(times, time.Since(start))
			var r struct {
				Data struct {
					LicenseSummary struct{ TotalCount int } `json:"licenseSummary"`
				}
			}
			_ = json.Unmarshal(out, &r)
			total = r.Data.LicenseSummary.TotalCount
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		fmt.Printf("  %-22s %9s  (%s-%s)  %7d groups\n", strings.Join(g, ", "), ms(times[2]), ms(times[0]), ms(times[4]), total)
	}
	return nil
}

// statements counts the SQL statements of the requests it wraps.
type statements struct {
	mu      sync.Mutex
	current *models.StatementCounter
}

func (s *statements) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		c := s.current
		s.mu.Unlock()
		if c != nil {
			r = r.WithContext(models.CountStatements(r.Context(), c))
		}
		next.ServeHTTP(w, r)
	})
}

// of runs fn with every request counted and returns the statements.
func (s *statements) of(fn func() error) (int64, error) {
	// Warm first: the API key cache reads the key again once per KEY_CACHE_TTL, which would add
	// one statement to whichever request falls after its expiry.
	if err := fn(); err != nil {
		return 0, err
	}
	c := &models.StatementCounter{Keep: os.Getenv("READBENCH_SQL") != ""}
	s.mu.Lock()
	s.current = c
	s.mu.Unlock()
	err := fn()
	s.mu.Lock()
	s.current = nil
	s.mu.Unlock()
	for _, q := range c.Statements() {
		fmt.Println("    SQL:", q)
	}
	return c.Count(), err
}

// profiled is set by -cpuprofile: each side's handlers then label their samples.
var profiled bool

// labelled marks the CPU profile's samples of h's requests, and of the goroutines they start,
// with side (pprof -tagfocus=side=api): the runtime's own work stays unlabelled.
func labelled(side string, h http.Handler) http.Handler {
	if !profiled {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pprof.Do(r.Context(), pprof.Labels("side", side), func(ctx context.Context) { h.ServeHTTP(w, r.WithContext(ctx)) })
	})
}

// alternate sends one request to x, then one to y, and so on, one at a time, for rounds times
// duration, and returns each side's median latency: both sides measured at the same moments, so
// a change in the machine's speed during the run weighs on both alike.
func (b *bench) alternate(x, y, query string, vars map[string]any) (mx, my time.Duration, pairs, failed int) {
	var lx, ly []time.Duration
	deadline := time.Now().Add(time.Duration(b.rounds) * b.duration)
	for i := 0; time.Now().Before(deadline); i++ {
		first, second := x, y
		if i%2 == 1 { // neither side always follows the other
			first, second = y, x
		}
		for _, u := range []string{first, second} {
			start := time.Now()
			if _, err := b.post(u, query, vars); err != nil {
				failed++
				continue
			}
			if u == x {
				lx = append(lx, time.Since(start))
			} else {
				ly = append(ly, time.Since(start))
			}
		}
	}
	return median(lx), median(ly), min(len(lx), len(ly)), failed
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}
