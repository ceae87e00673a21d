package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// liveClient posts GraphQL documents to a real test server over HTTP, for the concurrency
// tests; it is safe from any goroutine (it never touches a testing.T).
type liveClient struct {
	url    string
	client *http.Client
}

func newLiveClient(t *testing.T, e *env) *liveClient {
	srv := httptest.NewServer(e.Handler)
	t.Cleanup(srv.Close)
	return &liveClient{url: srv.URL + "/graphql", client: &http.Client{Timeout: 2 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 300}}}
}

// liveOutcome is one mutation's result as a client sees it.
type liveOutcome struct {
	payload map[string]any
	ue      []userError
	err     error // transport failure, non-JSON body or GraphQL errors
}

func (c *liveClient) post(key, query string, vars map[string]any) liveOutcome {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := c.client.Do(req)
	if err != nil {
		return liveOutcome{err: err}
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return liveOutcome{err: fmt.Errorf("status %d, not JSON: %v", res.StatusCode, err)}
	}
	if len(r.Errors) > 0 {
		return liveOutcome{err: fmt.Errorf("GraphQL errors: %+v", r.Errors)}
	}
	for _, v := range r.Data {
		p, _ := v.(map[string]any)
		raw, _ := json.Marshal(p["userErrors"])
		var ue []userError
		_ = json.Unmarshal(raw, &ue)
		return liveOutcome{payload: p, ue: ue}
	}
	return liveOutcome{err: fmt.Errorf("no payload (status %d)", res.StatusCode)}
}

// payload is post for a call that must succeed: any userError is an error too.
func (c *liveClient) payload(key, query string, vars map[string]any) (map[string]any, error) {
	o := c.post(key, query, vars)
	if o.err == nil && len(o.ue) > 0 {
		return nil, fmt.Errorf("userErrors: %+v", o.ue)
	}
	return o.payload, o.err
}
