package e2e

// Helpers of the activation email tests (mail_test.go): an SMTP server in the test process
// (emersion/go-smtp) that records what it accepted and fails chosen sessions on purpose, a
// reader of the MIME messages it received, and a log capture.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/licensing-api/licensing-api/testenv"
)

// smtpFault is how one SMTP session fails.
type smtpFault int

const (
	faultNone        smtpFault = iota
	faultRcpt4xx               // 451 at RCPT TO: try again later
	faultData5xx               // 554 after the whole message: refused
	faultDrop                  // the connection is cut in the middle of DATA
	faultRcptEchoes            // 452 quoting the recipient's address, as real servers do: try again later
	faultRcptUnknown           // 550 5.1.1 quoting the address: no such mailbox, refused for good
)

// received is one message the server accepted.
type received struct {
	From string
	To   []string
	Data []byte
}

// smtpServer is a real SMTP server on a free local port.
type smtpServer struct {
	Addr string
	// faults[n] is what happens to the n-th session (0-based); later sessions succeed.
	faults []smtpFault
	delay  time.Duration // before accepting a message (keeps concurrent sends overlapping)
	user   string        // when set, AUTH PLAIN with user/pass is required
	pass   string

	mu       sync.Mutex
	sessions int
	accepted []received
}

// startSMTP starts a server; tlsCfg nil serves plain SMTP, implicit wraps the listener in TLS
// (smtps), otherwise STARTTLS is offered.
func startSMTP(t testing.TB, s *smtpServer, tlsCfg *tls.Config, implicit bool) *smtpServer {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		n := s.sessions
		s.sessions++
		f := faultNone
		if n < len(s.faults) {
			f = s.faults[n]
		}
		return &smtpSession{srv: s, conn: c, fault: f}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = tlsCfg == nil
	srv.TLSConfig = tlsCfg
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	if implicit {
		l = tls.NewListener(l, tlsCfg)
	}
	s.Addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// smtpURL is the SMTP_URL of a plain local server (no TLS: starttls=none).
func (s *smtpServer) smtpURL() string {
	return "smtp://" + s.Addr + "?starttls=none&from=" + url.QueryEscape("Licensing <licensing@reseller.example>") + "&timeout=5s"
}

// Accepted returns a copy of the accepted messages.
func (s *smtpServer) Accepted() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.accepted...)
}

// Sessions is how many connections the server has had.
func (s *smtpServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

type smtpSession struct {
	srv    *smtpServer
	conn   *smtp.Conn
	fault  smtpFault
	authed bool
	from   string
	to     []string
}

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.srv.user || pass != ss.srv.pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch ss.fault {
	case faultRcpt4xx:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	case faultRcptEchoes:
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "<" + to + ">: Recipient address rejected: mailbox full"}
	case faultRcptUnknown:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: Recipient address rejected: User unknown in virtual mailbox table"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	if ss.fault == faultDrop {
		_, _ = io.CopyN(io.Discard, r, 200)
		_ = ss.conn.Conn().Close()
		return errors.New("connection dropped")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.fault == faultData5xx {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refused"}
	}
	time.Sleep(ss.srv.delay)
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	ss.srv.accepted = append(ss.srv.accepted, received{From: ss.from, To: append([]string(nil), ss.to...), Data: data})
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }

// parsedMail is a received message as a reader sees it.
type parsedMail struct {
	Header netmail.Header
	Text   string
	HTML   string
}

// parseMail reads a multipart/alternative message with a text and an HTML part (decoding
// their transfer encoding).
func parseMail(t testing.TB, data []byte) parsedMail {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a mail message: %v", err)
	}
	out := parsedMail{Header: m.Header}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative", m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading a part: %v", err)
		}
		body, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			out.Text = string(body)
		case "text/html":
			out.HTML = string(body)
		default:
			t.Fatalf("unexpected part %q", ct)
		}
	}
	if out.Text == "" || out.HTML == "" {
		t.Fatalf("want a text and an HTML part, got text %q html %q", out.Text, out.HTML)
	}
	return out
}

var linkPattern = regexp.MustCompile(`https://portal\.example\.com/activate\?token=[0-9a-f]+`)

// activateByMail activates the world's enrollment onto its account with the link of the email
// m, and checks that it was associated by the LINK at associatedAt.
func (e *env) activateByMail(t testing.TB, w world, m parsedMail, associatedAt string) {
	t.Helper()
	_, token := mailLink(t, m)
	wantAssociation(t, e.activate(w.Key, token, w.AccountID), w.AccountID, "LINK", associatedAt)
}

// mailLink is the one activation link of the text part (the HTML part must carry the same).
func mailLink(t testing.TB, m parsedMail) (link, token string) {
	t.Helper()
	links := linkPattern.FindAllString(m.Text, -1)
	if len(links) != 1 {
		t.Fatalf("want one activation link in the text part, got %v in %q", links, m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+links[0]+`"`) {
		t.Fatalf("the HTML part does not link to %s: %q", links[0], m.HTML)
	}
	u, _ := url.Parse(links[0])
	return links[0], u.Query().Get("token")
}

// logCapture collects every log line written through its logger.
type logCapture struct{ testenv.Buffer }

func (c *logCapture) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(c, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (c *logCapture) Lines() []string {
	return strings.Split(strings.TrimSpace(c.String()), "\n")
}

// testCA makes a self-signed certificate for 127.0.0.1: the server's TLS config and a client
// pool that trusts it.
func testCA(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}
