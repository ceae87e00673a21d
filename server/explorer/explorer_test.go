package explorer_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/licensing-api/licensing-api/graph"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/server/explorer"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// handler is the real server's handler, so the routes of server.go are tested too.
func handler(t *testing.T, s *models.Store) http.Handler {
	t.Helper()
	return apitest.Handler(t, s, nil, server.Config{})
}

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var (
	scriptTag = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	srcAttr   = regexp.MustCompile(`\b(?:src|href)="([^"]+)"`)
	nonceAttr = regexp.MustCompile(`\bnonce="([^"]+)"`)
)

// The page has no inline script, style or handler, so a policy without 'unsafe-inline' and
// 'unsafe-eval' holds; its nonce is fresh per response and matches the policy's.
func TestPageHasNoInlineCodeAndAStrictPolicy(t *testing.T) {
	h := handler(t, testenv.Engines()[0].New(t))
	rec := get(t, h, "/")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	csp := rec.Header().Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	if directives["default-src"] != "'self'" || directives["script-src"] != "'self'" || directives["connect-src"] != "'self'" {
		t.Errorf("policy: %s", csp)
	}
	if strings.Contains(csp, "unsafe-") {
		t.Errorf("policy allows unsafe-*: %s", csp)
	}
	m := nonceAttr.FindStringSubmatch(page)
	if m == nil || directives["style-src"] != "'self' 'nonce-"+m[1]+"'" {
		t.Errorf("style-src %q does not carry the page's nonce %v", directives["style-src"], m)
	}
	if again := nonceAttr.FindStringSubmatch(get(t, h, "/").Body.String()); again == nil || again[1] == m[1] {
		t.Error("the nonce is the same on two responses")
	}
	scripts := scriptTag.FindAllStringSubmatch(page, -1)
	if len(scripts) != 5 {
		t.Errorf("want 5 scripts (React, ReactDOM, GraphiQL, examples, explorer), got %d", len(scripts))
	}
	for _, s := range scripts {
		if !strings.Contains(s[1], `src="`+explorer.AssetPrefix) || strings.TrimSpace(s[2]) != "" {
			t.Errorf("script not loaded from %s: %s", explorer.AssetPrefix, s[0])
		}
	}
	if regexp.MustCompile(`(?i)<style|\sstyle=|\son[a-z]+=|javascript:`).MatchString(page) {
		t.Error("the page has an inline style or handler")
	}
	for _, ref := range srcAttr.FindAllStringSubmatch(page, -1) {
		if strings.HasPrefix(ref[1], "data:") {
			continue
		}
		if r := get(t, h, ref[1]); r.Code != http.StatusOK {
			t.Errorf("GET %s = %d", ref[1], r.Code)
		}
	}
}

// Assets are the embedded files byte for byte, revalidated by ETag and gzipped on request.
func TestAssetsAreTheEmbeddedFiles(t *testing.T) {
	h := handler(t, testenv.Engines()[0].New(t))
	for _, name := range []string{"npm/graphiql.min.js", "npm/graphiql.min.css", "npm/react.production.min.js",
		"npm/react-dom.production.min.js", "npm/LICENSE.graphiql", "npm/LICENSE.react", "npm/LICENSE.react-dom", "explorer.js"} {
		want, err := os.ReadFile(filepath.Join("assets", name))
		if err != nil {
			t.Fatal(err)
		}
		plain := get(t, h, explorer.AssetPrefix+name)
		if plain.Code != http.StatusOK || !bytes.Equal(plain.Body.Bytes(), want) || plain.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: %d, %d bytes, want the %d of the file", name, plain.Code, plain.Body.Len(), len(want))
			continue
		}
		wantType := map[string]string{".js": "text/javascript", ".css": "text/css"}[filepath.Ext(name)]
		if ct := plain.Header().Get("Content-Type"); wantType != "" && !strings.HasPrefix(ct, wantType) {
			t.Errorf("%s: Content-Type %s", name, ct)
		}
		if r := get(t, h, explorer.AssetPrefix+name, "If-None-Match", plain.Header().Get("ETag")); r.Code != http.StatusNotModified {
			t.Errorf("%s: revalidation with its ETag = %d, want 304", name, r.Code)
		}
		gz := get(t, h, explorer.AssetPrefix+name, "Accept-Encoding", "br, gzip")
		zr, err := gzip.NewReader(gz.Body)
		if err != nil || gz.Header().Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: not gzipped for Accept-Encoding gzip: %v", name, err)
			continue
		}
		if got, _ := io.ReadAll(zr); !bytes.Equal(got, want) {
			t.Errorf("%s: gzipped body differs", name)
		}
	}
	if r := get(t, h, explorer.AssetPrefix+"explorer.js", "Accept-Encoding", "gzip;q=0"); r.Header().Get("Content-Encoding") != "" {
		t.Error("gzipped although the client refused it (q=0)")
	}
	for _, missing := range []string{"nothing.js", "page.html", "explorer.go", "npm/", ""} {
		if r := get(t, h, explorer.AssetPrefix+missing); r.Code != http.StatusNotFound {
			t.Errorf("GET %s%s = %d, want 404", explorer.AssetPrefix, missing, r.Code)
		}
	}
}

// The npm files are the ones update-assets.sh fetched (its SHA256SUMS).
func TestVendorFilesMatchTheirChecksums(t *testing.T) {
	f, err := os.Open("assets/npm/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
		sum, name, _ := strings.Cut(sc.Text(), "  ")
		body, err := os.ReadFile(filepath.Join("assets/npm", name))
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(body)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s differs from what update-assets.sh fetched", name)
		}
	}
	if n != 4 {
		t.Errorf("SHA256SUMS lists %d files, want 4", n)
	}
}

// The three examples, one per use, are valid against the schema and run on the demo data of
// every engine without errors; the order example is idempotent as its comment says.
func TestExamplesRunOnTheServer(t *testing.T) {
	examples, err := explorer.Examples()
	if err != nil {
		t.Fatal(err)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	want := []struct {
		op    ast.Operation
		field string
	}{{ast.Query, "enrollments"}, {ast.Mutation, "createOrder"}, {ast.Query, "licenseSummary"}}
	if len(examples) != len(want) {
		t.Fatalf("%d examples, want %d", len(examples), len(want))
	}
	for i, ex := range examples {
		doc, errs := gqlparser.LoadQuery(schema, ex.Query)
		if errs != nil {
			t.Fatalf("example %d: %v", i, errs)
		}
		op := doc.Operations[0]
		if f := op.SelectionSet[0].(*ast.Field); op.Operation != want[i].op || f.Name != want[i].field {
			t.Errorf("example %d is %s %s, want %s %s", i, op.Operation, f.Name, want[i].op, want[i].field)
		}
	}
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		url, key := demoServer(t, s)
		var orderIDs []string
		for _, ex := range append(examples, examples[1]) { // the order twice, as a retry
			data := post(t, url, key, ex)
			if p, ok := data["createOrder"].(map[string]any); ok {
				if ue, _ := p["userErrors"].([]any); len(ue) > 0 {
					t.Fatalf("createOrder refused: %v", ue)
				}
				orderIDs = append(orderIDs, p["order"].(map[string]any)["id"].(string))
			}
		}
		if len(orderIDs) != 2 || orderIDs[0] != orderIDs[1] {
			t.Errorf("retrying the order example gave orders %v, want the same one twice", orderIDs)
		}
	})
}

// post runs an example over HTTP with a key and returns its data; any GraphQL error fails.
func post(t *testing.T, url, key string, ex explorer.Example) map[string]any {
	t.Helper()
	body := map[string]any{"query": ex.Query}
	if ex.Variables != "" {
		body["variables"] = json.RawMessage(ex.Variables)
	}
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 || resp.StatusCode != http.StatusOK {
		t.Fatalf("example %.60q: %d %v %v", ex.Query, resp.StatusCode, out.Errors, err)
	}
	return out.Data
}
