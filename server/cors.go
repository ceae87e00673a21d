package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// MaxAllowedOrigins bounds CORS_ALLOWED_ORIGINS: a reseller's few front-ends, not a registry.
const MaxAllowedOrigins = 100

// maxOriginLength bounds one origin (scheme, host and port).
const maxOriginLength = 300

// CORS methods and request headers a browser front-end may use: GraphQL over GET and POST,
// with the API key and a JSON body.
const (
	corsAllowMethods = "GET, POST"
	corsAllowHeaders = "Authorization, Content-Type"
	// corsMaxAge lets a browser reuse a preflight answer for 10 minutes.
	corsMaxAge = "600"
)

// ParseAllowedOrigins reads the CORS_ALLOWED_ORIGINS setting: comma-separated origins such as
// "https://portal.example.com, http://localhost:3000" (scheme http or https, host, optional
// port; no path, no wildcard), at most MaxAllowedOrigins. Empty allows none. Origins come back
// as browsers send them: lower case, without a default port or a trailing slash.
func ParseAllowedOrigins(setting string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(setting, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		o, err := normalizeOrigin(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if len(out) > MaxAllowedOrigins {
		return nil, fmt.Errorf("CORS_ALLOWED_ORIGINS lists %d origins; at most %d", len(out), MaxAllowedOrigins)
	}
	return out, nil
}

func normalizeOrigin(raw string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("CORS_ALLOWED_ORIGINS: %.60q is not an origin (%s); write it as https://host or https://host:port", raw, why)
	}
	if len(raw) > maxOriginLength {
		return bad(fmt.Sprintf("longer than %d characters", maxOriginLength))
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return bad(err.Error())
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("the scheme must be http or https")
	case u.Host == "" || u.Hostname() == "" || strings.Contains(u.Host, "*"):
		return bad("a host is needed; wildcards are not allowed")
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return bad("no user, path, query or fragment")
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") { // IPv6 literal
			host = "[" + host + "]"
		}
	}
	return u.Scheme + "://" + host, nil
}

// CORS lets browser front-ends on the allowed origins (see ParseAllowedOrigins) call next: it
// answers their preflight requests itself and marks their responses readable. Requests from
// other origins get no CORS headers, so browsers keep their pages from reading the answers.
// No credentials are allowed: the API key travels in the Authorization header, not a cookie.
// With no allowed origin, next is returned unchanged.
func CORS(allowed []string, next http.Handler) http.Handler {
	if len(allowed) == 0 {
		return next
	}
	allow := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		allow[strings.ToLower(strings.TrimSuffix(o, "/"))] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The answer depends on Origin, for every request: a cache must not hand one
		// origin's response to another.
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || !allow[origin] {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			// A preflight: state what is allowed; the browser checks the request against it.
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
