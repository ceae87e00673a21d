package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
)

func TestParseAllowedOrigins(t *testing.T) {
	got, err := server.ParseAllowedOrigins(" https://Portal.Example.com/ , http://localhost:3000,https://bi.example.com:443,http://[::1]:80, ")
	want := []string{"https://portal.example.com", "http://localhost:3000", "https://bi.example.com", "http://[::1]"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if got, err := server.ParseAllowedOrigins(""); err != nil || len(got) != 0 {
		t.Fatalf("empty setting: %v, %v", got, err)
	}
	for _, bad := range []string{"*", "null", "portal.example.com", "ftp://example.com", "https://example.com/app",
		"https://user@example.com", "https://example.com?x=1", "https://*.example.com", "https://", "https://example.com#x",
		"https://" + strings.Repeat("a", 300) + ".com"} {
		if _, err := server.ParseAllowedOrigins("https://ok.example.com," + bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	many := make([]string, server.MaxAllowedOrigins+1)
	for i := range many {
		many[i] = fmt.Sprintf("https://f%d.example.com", i)
	}
	if _, err := server.ParseAllowedOrigins(strings.Join(many, ",")); err == nil {
		t.Errorf("%d origins accepted", len(many))
	}
}

// corsRequest runs a request through CORS over a handler that notes it was reached.
func corsRequest(allowed []string, method, origin string, header ...string) (*httptest.ResponseRecorder, bool) {
	reached := false
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true; w.WriteHeader(http.StatusTeapot) })
	req := httptest.NewRequest(method, "/graphql", nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	server.CORS(allowed, next).ServeHTTP(rec, req)
	return rec, reached
}

func corsHeaders(h http.Header) []string {
	var out []string
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out = append(out, k)
		}
	}
	return out
}

func varies(h http.Header, name string) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return true
			}
		}
	}
	return false
}

func TestCORS(t *testing.T) {
	allowed := []string{"https://portal.example.com"}
	preflight := []string{"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type"}

	rec, reached := corsRequest(allowed, http.MethodOptions, "https://portal.example.com", preflight...)
	h := rec.Header()
	if reached || rec.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://portal.example.com" ||
		h.Get("Access-Control-Allow-Methods") != "GET, POST" || h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" ||
		h.Get("Access-Control-Max-Age") == "" || !varies(h, "Origin") || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight from an allowed origin: %d reached=%v %v", rec.Code, reached, h)
	}

	rec, reached = corsRequest(allowed, http.MethodPost, "https://portal.example.com", "Authorization", "Bearer k")
	if !reached || rec.Header().Get("Access-Control-Allow-Origin") != "https://portal.example.com" || !varies(rec.Header(), "Origin") {
		t.Errorf("request from an allowed origin: reached=%v %v", reached, rec.Header())
	}

	for _, origin := range []string{"https://evil.example.com", "https://portal.example.com.evil.net", "null", "http://portal.example.com"} {
		rec, reached = corsRequest(allowed, http.MethodOptions, origin, preflight...)
		if !reached || len(corsHeaders(rec.Header())) > 0 || !varies(rec.Header(), "Origin") {
			t.Errorf("preflight from %s: reached=%v %v", origin, reached, rec.Header())
		}
		rec, reached = corsRequest(allowed, http.MethodPost, origin)
		if !reached || len(corsHeaders(rec.Header())) > 0 {
			t.Errorf("request from %s: reached=%v %v", origin, reached, rec.Header())
		}
	}

	// OPTIONS without Access-Control-Request-Method is not a preflight: the server answers it.
	if _, reached = corsRequest(allowed, http.MethodOptions, "https://portal.example.com"); !reached {
		t.Error("a plain OPTIONS was answered as a preflight")
	}
	// Same-origin and non-browser requests carry no Origin: untouched.
	if rec, reached = corsRequest(allowed, http.MethodPost, ""); !reached || len(corsHeaders(rec.Header())) > 0 {
		t.Errorf("request without Origin: %v", rec.Header())
	}
	// Nothing allowed by default: no headers at all, not even Vary.
	if rec, reached = corsRequest(nil, http.MethodOptions, "https://portal.example.com", preflight...); !reached || len(rec.Header()) > 0 {
		t.Errorf("with no allowed origin: %v", rec.Header())
	}
}

// Wrapped around the real handler, a browser's preflight and then its POST with a key work.
func TestCORSAroundTheAPI(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		k, err := s.CreateFirstOperatorKey(context.Background(), "cors test")
		if err != nil {
			t.Fatal(err)
		}
		h := apitest.Handler(t, s, nil, server.Config{AllowedOrigins: []string{"http://localhost:3000"}})

		pre := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
		pre.Header.Set("Origin", "http://localhost:3000")
		pre.Header.Set("Access-Control-Request-Method", "POST")
		pre.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, pre)
		if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
			t.Fatalf("preflight: %d %v", rec.Code, rec.Header())
		}

		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ viewer { role } }"}`))
		req.Header.Set("Origin", "http://localhost:3000")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+k.Token)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
			!strings.Contains(rec.Body.String(), `"role":"OPERATOR"`) {
			t.Fatalf("POST: %d %v %s", rec.Code, rec.Header(), rec.Body.String())
		}
	})
}
