// Command hostile-load measures a running licensing-api under hostile and heavy traffic (issue
// 8): every attack of testenv/hostile fired flat out by attackers, a BI key running license
// summaries at its limit, and a well-behaved client whose small queries are timed. It prints the
// refusals by code, the well-behaved client's latency percentiles and failures, and the server's
// peak resident memory (VmHWM) when given its pid. scripts/hostile-load.sh starts a server on a
// seeded database and runs it; the README's "Limits" section has the figures.
//
//	hostile-load -url http://127.0.0.1:8080 -operator-key $KEY -duration 60s -pid 1234
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licensing-api/licensing-api/testenv/hostile"
	"github.com/licensing-api/licensing-api/testenv/jsonpath"
)

type load struct {
	url    string
	client *http.Client
}

// gql sends a document with a key and decodes the response; status is the HTTP status.
func (l *load) gql(ctx context.Context, key, query string, vars map[string]any) (int, map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := l.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var out map[string]any
	err = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, err
}

// keys makes the keys of the run with the operator key: a RESELLER and a READER key of the first
// reseller for the attackers, another READER key of it for the BI tool, and a RESELLER key of a
// new reseller for the well-behaved client, so each has its own bucket.
func (l *load) keys(ctx context.Context, operator string) (attacker, attackerReader, bi, good string, err error) {
	_, d, err := l.gql(ctx, operator, `{ resellers(first: 1) { edges { node { id } } } }`, nil)
	if err != nil {
		return
	}
	first := jsonpath.Str(d, "data", "resellers", "edges", 0, "node", "id")
	_, d, err = l.gql(ctx, operator, `mutation { createReseller(input: {name: "well behaved"}) { reseller { id } } }`, nil)
	if err != nil {
		return
	}
	second := jsonpath.Str(d, "data", "createReseller", "reseller", "id")
	key := func(reseller, role string) string {
		_, d, e := l.gql(ctx, operator, `mutation($r: ID!, $role: Role!) { createApiKey(input: {resellerId: $r, role: $role, name: "hostile-load"}) { token } }`,
			map[string]any{"r": reseller, "role": role})
		if e != nil && err == nil {
			err = e
		}
		return jsonpath.Str(d, "data", "createApiKey", "token")
	}
	attacker, attackerReader, bi, good = key(first, "RESELLER"), key(first, "READER"), key(first, "READER"), key(second, "RESELLER")
	if first == "" || second == "" || attacker == "" || attackerReader == "" || bi == "" || good == "" {
		err = errors.New("could not create the keys: is the operator key right and the database seeded?")
	}
	return
}

// tally counts outcomes by a label.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func (t *tally) add(label string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[label]++
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	for k, v := range t.n {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// attack fires the catalogue round-robin until ctx ends.
func (l *load) attack(ctx context.Context, worker int, keys map[hostile.Key]string, refusals *tally) {
	attacks := hostile.All()
	for i := worker; ctx.Err() == nil; i++ {
		a := attacks[i%len(attacks)]
		req, err := a.Request(l.url, keys[a.Key])
		if err != nil {
			continue
		}
		res, err := l.client.Do(req.WithContext(ctx))
		if err != nil {
			continue
		}
		var body struct {
			Errors []struct {
				Extensions struct{ Code string }
			}
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		_ = res.Body.Close()
		code := "none"
		if len(body.Errors) > 0 {
			code = body.Errors[0].Extensions.Code
		}
		if res.StatusCode != a.Status || code != a.Code {
			refusals.add(fmt.Sprintf("UNEXPECTED %s: %d %s", a.Name, res.StatusCode, code))
			continue
		}
		refusals.add(code)
	}
}

// aggregate runs license summaries with the BI key as fast as its share allows.
func (l *load) aggregate(ctx context.Context, key string, outcomes *tally) {
	for ctx.Err() == nil {
		status, _, err := l.gql(ctx, key, `{ a: licenseSummary(groupBy: [CUSTOMER, SKU], first: 100) { totalCount edges { node { licensed assigned } } }
			b: licenseSummary(groupBy: [PROGRAM]) { totalCount edges { node { licensed inGrace assigned } } } }`, nil)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			outcomes.add("error")
		case status == http.StatusTooManyRequests:
			outcomes.add("429")
			time.Sleep(100 * time.Millisecond)
		default:
			outcomes.add(fmt.Sprint(status))
		}
	}
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "the server")
	operator := flag.String("operator-key", os.Getenv("LICENSING_API_KEY"), "an OPERATOR key (LICENSING_API_KEY)")
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	attackers := flag.Int("attackers", 4, "attack workers")
	biWorkers := flag.Int("bi", 8, "workers running summaries with the BI key (more than its in-flight cap, so it runs at its limit)")
	pid := flag.Int("pid", 0, "the server's pid, to read its peak resident memory")
	flag.Parse()
	l := &load{url: strings.TrimRight(*url, "/"), client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	ctx := context.Background()
	attacker, attackerReader, biKey, good, err := l.keys(ctx, *operator)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile-load:", err)
		os.Exit(1)
	}
	run, stop := context.WithTimeout(ctx, *duration)
	defer stop()
	var refusals, bi tally
	var wg sync.WaitGroup
	keys := map[hostile.Key]string{hostile.NoKey: "", hostile.Reseller: attacker, hostile.Reader: attackerReader}
	for i := 0; i < *attackers; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); l.attack(run, i, keys, &refusals) }(i)
	}
	for i := 0; i < *biWorkers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); l.aggregate(run, biKey, &bi) }()
	}
	lat, failures := l.wellBehaved(run, good)
	wg.Wait()
	report(lat, failures, &refusals, &bi, *duration, *pid)
	if failures > 0 {
		os.Exit(1)
	}
}

// wellBehaved sends small queries (one in ten a mutation) until ctx ends and times each.
func (l *load) wellBehaved(ctx context.Context, key string) ([]time.Duration, int) {
	var lat []time.Duration
	var failures atomic.Int64
	for i := 0; ctx.Err() == nil; i++ {
		q, vars := `{ viewer { role } }`, map[string]any(nil)
		if i%10 == 0 {
			q, vars = `mutation($n: String!) { createCustomer(input: {organizationName: $n, country: "US"}) { customer { id } userErrors { code } } }`,
				map[string]any{"n": fmt.Sprintf("Load customer %d", i)}
		}
		start := time.Now()
		status, d, err := l.gql(context.Background(), key, q, vars)
		took := time.Since(start)
		if ctx.Err() != nil {
			break
		}
		if err != nil || status != http.StatusOK || d["errors"] != nil {
			failures.Add(1)
			fmt.Fprintf(os.Stderr, "well-behaved request %d failed: %d %v %v\n", i, status, err, d["errors"])
			continue
		}
		lat = append(lat, took)
		time.Sleep(20 * time.Millisecond)
	}
	return lat, int(failures.Load())
}

func report(lat []time.Duration, failures int, refusals, bi *tally, d time.Duration, pid int) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("run: %s\n", d)
	fmt.Printf("well-behaved small requests: %d ok, %d failed; p50 %s, p99 %s, max %s\n", len(lat), failures,
		pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	fmt.Printf("BI key running summaries at its limit: %s\n", bi)
	fmt.Printf("attacks refused by code: %s\n", refusals)
	if pid > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(line, "VmHWM") || strings.HasPrefix(line, "VmRSS") {
					fmt.Println("server", strings.Join(strings.Fields(line), " "))
				}
			}
		}
	}
}
