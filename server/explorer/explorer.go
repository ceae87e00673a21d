// Package explorer serves the GraphiQL explorer from files embedded in the binary (GraphiQL and
// React as released on npm, see assets/npm/VERSIONS and update-assets.sh), so it renders
// offline and under a strict content security policy: no CDN and no inline script.
package explorer

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AssetPrefix is the path the page loads its scripts and styles from; Assets serves it.
const AssetPrefix = "/explorer/"

// contentSecurityPolicy is the page's policy. What GraphiQL 3 needs:
//   - script-src 'self': the bundles and explorer.js are files; nothing is inline and
//     nothing calls eval or new Function, so no 'unsafe-eval'.
//   - style-src 'self' and a nonce: the stylesheets are files, and React and CodeMirror set
//     styles through the style property, which the policy does not restrict; but GraphiQL's
//     dialogs (react-remove-scroll) inject a <style> element to lock scrolling. It takes its
//     nonce from __webpack_nonce__, which explorer.js sets from its own script tag's nonce.
//     A fresh nonce per response keeps 'unsafe-inline' out.
//   - font-src and img-src data: GraphiQL's stylesheet inlines its fonts and a few images as
//     data: URLs.
//   - connect-src 'self': the GraphQL endpoint is on this origin.
func contentSecurityPolicy(nonce string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-" + nonce + "'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

//go:embed page.html
var pageHTML string

//go:embed assets
var assetFS embed.FS

//go:embed examples
var exampleFS embed.FS

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// Page serves the explorer's HTML for GraphQL requests to endpoint (a path on this origin,
// such as /graphql).
func Page(endpoint string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n [16]byte
		_, _ = rand.Read(n[:])
		nonce := base64.RawURLEncoding.EncodeToString(n[:]) // no + or /, which the template would escape
		var buf bytes.Buffer
		if err := pageTemplate.Execute(&buf, struct{ Endpoint, Assets, Nonce string }{endpoint, AssetPrefix, nonce}); err != nil {
			http.Error(w, "explorer page: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy(nonce))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store") // the nonce is per response
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(buf.Bytes()))
	})
}

// Assets serves the page's files under AssetPrefix: GET and HEAD, with an ETag, and gzipped
// for clients that accept it (the GraphiQL bundle is about 1 MB, 0.3 MB gzipped).
func Assets() http.Handler {
	files := sharedAssets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := files[strings.TrimPrefix(r.URL.Path, AssetPrefix)]
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Type", a.contentType)
		// Revalidate every time: the ETag makes that a 304 while the binary is the same.
		h.Set("Cache-Control", "no-cache")
		h.Add("Vary", "Accept-Encoding")
		body, etag := a.body, a.etag
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = a.gzipped(), a.etag+"-gz"
			h.Set("Content-Encoding", "gzip")
		}
		h.Set("ETag", `"`+etag+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	})
}

type asset struct {
	body        []byte
	contentType string
	etag        string
	gzipOnce    sync.Once
	gz          []byte
}

// gzipped compresses the body on first use, so starting the server costs nothing.
func (a *asset) gzipped() []byte {
	a.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(a.body)
		_ = zw.Close()
		a.gz = buf.Bytes()
	})
	return a.gz
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	ct := "text/plain; charset=utf-8" // licenses, VERSIONS
	switch path.Ext(name) {
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	}
	return &asset{body: body, contentType: ct, etag: hex.EncodeToString(sum[:16])}
}

// sharedAssets loads the assets once per process: every handler shares them and their gzip.
var sharedAssets = sync.OnceValue(loadAssets)

// loadAssets maps each asset's path under AssetPrefix to the asset: the files of assets/ and
// examples.js, made from examples/.
func loadAssets() map[string]*asset {
	files := map[string]*asset{}
	sub, _ := fs.Sub(assetFS, "assets")
	err := fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, name)
		files[name] = newAsset(name, body)
		return err
	})
	if err != nil {
		panic(err) // embedded files: a test catches this
	}
	ex, err := Examples()
	if err != nil {
		panic(err)
	}
	js, _ := json.Marshal(ex)
	files["examples.js"] = newAsset("examples.js", fmt.Appendf(nil, "window.licensingExamples = %s;\n", js))
	return files
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip (and does not give it q=0).
func acceptsGzip(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(params, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, _ = strconv.ParseFloat(strings.TrimSpace(v), 64) // unparsable: 0, no gzip
		}
		return q > 0
	}
	return false
}

// Example is one tab the explorer opens with, in GraphiQL's tab shape.
type Example struct {
	// Query is the GraphQL document; GraphiQL names the tab after its operation.
	Query string `json:"query"`
	// Variables is JSON text, or empty.
	Variables string `json:"variables,omitempty"`
}

// Examples reads the example documents of examples/, in file-name order: each NAME.graphql,
// with its variables in NAME.json when there is one.
func Examples() ([]Example, error) {
	names, err := fs.Glob(exampleFS, "examples/*.graphql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Example, 0, len(names))
	for _, name := range names {
		q, err := fs.ReadFile(exampleFS, name)
		if err != nil {
			return nil, err
		}
		ex := Example{Query: string(q)}
		if v, err := fs.ReadFile(exampleFS, strings.TrimSuffix(name, ".graphql")+".json"); err == nil {
			if !json.Valid(v) {
				return nil, fmt.Errorf("%s: variables are not valid JSON", name)
			}
			ex.Variables = string(v)
		}
		out = append(out, ex)
	}
	return out, nil
}
