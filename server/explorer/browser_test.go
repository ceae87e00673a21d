package explorer_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
)

// demoServer serves the real handler on 127.0.0.1 over a migrated store with the demo data;
// it returns the URL and the demo reseller's key.
func demoServer(t *testing.T, s *models.Store) (string, string) {
	t.Helper()
	demo, err := s.SeedDemo(context.Background())
	if err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	return apitest.Serve(t, s, nil, server.Config{}), demo.Token
}

// The explorer renders in a browser that can reach 127.0.0.1 only, opens on the example tabs
// with the note on the key, runs the first example with the key typed into the Headers pane,
// and keeps the key out of the browser's storage until "Remember headers" is ticked. The
// store is SQLite: the page does not depend on the engine, and the examples run on both in
// TestExamplesRunOnTheServer.
func TestExplorerInHeadlessChromium(t *testing.T) {
	url, key := demoServer(t, testenv.Engines()[0].New(t))
	b := launchBrowser(t)
	b.must(b.session, "Page.navigate", map[string]any{"url": url + "/"}, nil)

	b.waitFor("GraphiQL's tabs", `document.querySelectorAll('.graphiql-tab').length === 3`, 30*time.Second)
	var tabs []string
	b.mustEval(`[...document.querySelectorAll('.graphiql-tab-button')].map(e => e.textContent)`, &tabs)
	if strings.Join(tabs, ",") != "EnrollmentsWithSubscriptions,CreateOrder,LicenseSummaryByCustomerAndSku" {
		t.Fatalf("tabs: %v", tabs)
	}
	var note string
	b.mustEval(`document.getElementById('explorer-note').innerText`, &note)
	if !strings.Contains(note, `{"Authorization": "Bearer <key>"}`) || !strings.Contains(note, "Headers") {
		t.Fatalf("the note on the key is not shown: %q", note)
	}

	// The Headers pane is open on load; type the key into it, as a person would.
	b.waitFor("the Headers pane", `document.querySelector('.graphiql-editor-tools button.active')?.textContent === 'Headers'`, 5*time.Second)
	b.mustEval(`document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').CodeMirror.focus()`, nil)
	b.typeText(`{"Authorization": "Bearer ` + key + `"}`)
	b.waitFor("the key in the Headers pane", `document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').CodeMirror.getValue().includes('`+key+`')`, 10*time.Second)
	// GraphiQL reads an editor's text into its state after a debounce (500 ms in 3.x): on a busy
	// machine a click right after typing would run without the headers.
	time.Sleep(1500 * time.Millisecond)
	b.mustEval(`document.querySelector('.graphiql-execute-button').click()`, nil)

	resultJS := `document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()`
	b.waitFor("the query's result", resultJS+`.includes('"data"') || `+resultJS+`.includes('"errors"')`, 20*time.Second)
	var raw string
	b.mustEval(resultJS, &raw)
	var result struct {
		Data struct {
			Enrollments struct {
				Edges []struct{ Node struct{ Number string } }
			}
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(raw), &result); err != nil || len(result.Errors) > 0 {
		t.Fatalf("result shown: %s (%v)", raw, err)
	}
	if e := result.Data.Enrollments.Edges; len(e) == 0 || e[0].Node.Number != "ENR-1000001" {
		t.Fatalf("the demo enrollment is not in the result: %s", raw)
	}

	// A dialog: GraphiQL's dialogs lock scrolling with an injected <style>, which the policy must allow.
	b.mustEval(`document.querySelector('button[aria-label="Open settings dialog"]').click()`, nil)
	b.waitFor("the settings dialog", `document.querySelector('[role=dialog]')`, 5*time.Second)
	var styled bool
	b.mustEval(`[...document.querySelectorAll('style')].some(e => e.nonce && e.sheet)`, &styled)
	if !styled {
		t.Error("the dialog's <style> is missing or has no nonce")
	}
	b.mustEval(`document.querySelector('[role=dialog] .graphiql-dialog-close').click()`, nil)
	b.waitFor("the settings dialog closed", `!document.querySelector('[role=dialog]')`, 5*time.Second)

	checkKeyStorage(t, b, key)
	checkRestoreExamples(t, b)
	checkOffline(t, b, url)
}

// checkRestoreExamples: after a tab is closed, "Restore the example tabs" brings back all three.
func checkRestoreExamples(t *testing.T, b *browser) {
	t.Helper()
	b.mustEval(`document.querySelectorAll('.graphiql-tab-close')[2].click()`, nil)
	b.waitFor("two tabs left, and stored", `document.querySelectorAll('.graphiql-tab').length === 2 &&
		JSON.parse(localStorage.getItem('graphiql:tabState')).tabs.length === 2`, 5*time.Second)
	b.mustEval(`window.confirm = () => true; document.getElementById('restore-examples').click()`, nil)
	b.waitFor("the three example tabs again", `document.querySelectorAll('.graphiql-tab').length === 3 &&
		document.querySelectorAll('.graphiql-tab-button')[2].textContent === 'LicenseSummaryByCustomerAndSku'`, 30*time.Second)
}

// checkKeyStorage: the key is in no localStorage entry until the user opts in, and gone again
// when they opt out.
func checkKeyStorage(t *testing.T, b *browser, key string) {
	t.Helper()
	stored := `Object.keys(localStorage).filter(k => localStorage.getItem(k).includes(` + jsString(key) + `))`
	time.Sleep(time.Second) // GraphiQL stores the tabs 500 ms after a change
	var where []string
	b.mustEval(stored, &where)
	if len(where) > 0 {
		t.Fatalf("the key is in localStorage without opting in: %v", where)
	}
	b.mustEval(`document.getElementById('persist-headers').click()`, nil)
	b.waitFor("the key stored after opting in", stored+`.length > 0`, 5*time.Second)
	b.mustEval(`document.getElementById('persist-headers').click()`, nil)
	b.waitFor("the key removed after opting out", stored+`.length === 0`, 5*time.Second)
}

// checkOffline: the page asked nothing of any other origin and nothing broke the content
// security policy. What reached the proxy standing for the internet is Chromium's own
// background traffic (updates, sign-in, autofill), not the page's: it is only logged.
func checkOffline(t *testing.T, b *browser, origin string) {
	t.Helper()
	log := b.snapshot()
	for _, u := range log.requests {
		if !strings.HasPrefix(u, origin+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s", u)
		}
	}
	for _, p := range log.proxied {
		t.Logf("chromium's own request, refused by the proxy: %s", p)
	}
	for _, p := range log.problems {
		t.Errorf("page problem: %s", p)
	}
	for _, c := range log.console {
		t.Logf("console: %s", c)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
