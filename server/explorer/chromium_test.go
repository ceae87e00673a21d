package explorer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireBrowserEnv, set to 1, makes a missing Chromium fail the browser tests: CI installs it
// and sets it (.ci/run). Without it a machine with no Chromium skips them, saying so, so that
// the README's test command works on a fresh machine.
const RequireBrowserEnv = "REQUIRE_BROWSER_TESTS"

// findChromium returns Chromium's path: CHROMIUM_PATH, or chromium on PATH.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(RequireBrowserEnv) == "1" {
		t.Fatalf("Chromium not found and %s=1: install it (apt-get install -y chromium) or set CHROMIUM_PATH", RequireBrowserEnv)
	}
	t.Skipf("Chromium not found: the browser test does not run here (apt-get install -y chromium, or CHROMIUM_PATH; CI runs it with %s=1)", RequireBrowserEnv)
	return ""
}

// browser is a headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: Chromium reads commands on fd 3 and writes on fd 4, each message
// JSON ended by a NUL byte). It has one page, with every command sent to that page's session.
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     *os.File // Chromium's fd 3
	session string

	mu       sync.Mutex
	nextID   int
	pending  map[int]chan cdpMessage
	requests []string // URLs the page asked for
	problems []string // exceptions and security (CSP) messages of the page
	console  []string // other console and log messages, for the test log
	stderr   bytes.Buffer

	proxied []string // first lines of requests that reached the proxy standing for the internet
}

type cdpMessage struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	Error     *struct{ Message string }
	SessionID string `json:"sessionId"`
}

// launchBrowser starts Chromium with no network beyond 127.0.0.1: DNS answers nothing but
// 127.0.0.1, and every other host goes through a proxy that notes the request and drops the
// connection (loopback bypasses proxies by default).
func launchBrowser(t *testing.T) *browser {
	t.Helper()
	exe := findChromium(t)
	b := &browser{t: t, pending: map[int]chan cdpMessage{}}
	proxy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	go func() {
		for {
			c, err := proxy.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				line, _ := bufio.NewReader(c).ReadString('\n')
				b.mu.Lock()
				b.proxied = append(b.proxied, strings.TrimSpace(line))
				b.mu.Unlock()
			}()
		}
	}()
	inR, inW, _ := os.Pipe()   // our commands: Chromium's fd 3
	outR, outW, _ := os.Pipe() // its replies: Chromium's fd 4
	b.cmd = exec.Command(exe, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe",
		"--proxy-server=http://"+proxy.Addr().String(),
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"about:blank")
	b.cmd.ExtraFiles = []*os.File{inR, outW}
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	_ = inR.Close()
	_ = outW.Close()
	b.out = inW
	go b.read(outR)
	t.Cleanup(b.close)

	var target struct{ TargetID string }
	b.must("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct{ SessionID string }
	b.must("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	b.session = attached.SessionID
	for _, domain := range []string{"Network", "Log", "Runtime", "Page"} {
		b.must(b.session, domain+".enable", nil, nil)
	}
	return b
}

func (b *browser) close() {
	_ = b.out.Close() // Chromium exits when its command pipe closes
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
	if b.t.Failed() {
		b.t.Logf("chromium stderr (last 4 KiB): %s", tail(b.stderr.String(), 4096))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (b *browser) read(r *os.File) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMessage
		if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if ch, ok := b.pending[m.ID]; ok && m.ID != 0 {
			delete(b.pending, m.ID)
			ch <- m
		} else if m.Method != "" {
			b.event(m.Method, m.Params)
		}
		b.mu.Unlock()
	}
}

// event records what the test checks afterwards; b.mu is held.
func (b *browser) event(method string, params json.RawMessage) {
	switch method {
	case "Network.requestWillBeSent":
		var p struct{ Request struct{ URL string } }
		_ = json.Unmarshal(params, &p)
		b.requests = append(b.requests, p.Request.URL)
	case "Runtime.exceptionThrown":
		b.problems = append(b.problems, "exception: "+string(params))
	case "Log.entryAdded":
		var p struct {
			Entry struct{ Source, Level, Text, URL string }
		}
		_ = json.Unmarshal(params, &p)
		line := fmt.Sprintf("%s %s: %s %s", p.Entry.Source, p.Entry.Level, p.Entry.Text, p.Entry.URL)
		if p.Entry.Source == "security" || strings.Contains(p.Entry.Text, "Content Security Policy") {
			b.problems = append(b.problems, line)
		} else {
			b.console = append(b.console, line)
		}
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string
			Args []struct{ Value any }
		}
		_ = json.Unmarshal(params, &p)
		line := fmt.Sprintf("console.%s: %v", p.Type, p.Args)
		if strings.Contains(line, "Content Security Policy") {
			b.problems = append(b.problems, line)
		} else {
			b.console = append(b.console, line)
		}
	}
}

// call sends one command and waits for its reply (at most 30 seconds).
func (b *browser) call(session, method string, params any, result any) error {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params, "sessionId": session})
	if _, err := b.out.Write(append(msg, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: chromium closed the pipe", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: no reply in 30s", method)
	}
}

func (b *browser) must(session, method string, params any, result any) {
	b.t.Helper()
	if err := b.call(session, method, params, result); err != nil {
		b.t.Fatal(err)
	}
}

// eval runs a JavaScript expression in the page (awaiting a promise) and decodes its value.
func (b *browser) eval(expr string, out any) error {
	var r struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	if err := b.call(b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("%s: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

func (b *browser) mustEval(expr string, out any) {
	b.t.Helper()
	if err := b.eval(expr, out); err != nil {
		b.t.Fatal(err)
	}
}

// waitFor polls a JavaScript condition until it is true or timeout passes.
func (b *browser) waitFor(what, expr string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var lastErr error
	for {
		var ok bool
		if lastErr = b.eval("Boolean("+expr+")", &ok); lastErr == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			var body string
			_ = b.eval("document.body ? document.body.innerText.slice(0, 2000) : ''", &body)
			b.t.Fatalf("%s: not seen within %s (last error: %v)\npage text: %s\nproblems: %v\nconsole: %v",
				what, timeout, lastErr, body, b.snapshot().problems, b.snapshot().console)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// typeText sends text as typed input to the focused element.
func (b *browser) typeText(text string) {
	b.t.Helper()
	b.must(b.session, "Input.insertText", map[string]any{"text": text}, nil)
}

type browserLog struct{ requests, problems, console, proxied []string }

func (b *browser) snapshot() browserLog {
	b.mu.Lock()
	defer b.mu.Unlock()
	return browserLog{append([]string(nil), b.requests...), append([]string(nil), b.problems...), append([]string(nil), b.console...), append([]string(nil), b.proxied...)}
}
