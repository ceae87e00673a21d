package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
)

// The activation email's text and HTML in every language of licensing.Languages, as
// templates/<language>.txt and templates/<language>.html.
//
//go:embed templates/*.txt templates/*.html
var templateFiles embed.FS

var (
	textTemplates = map[licensing.Language]*texttemplate.Template{}
	htmlTemplates = map[licensing.Language]*htmltemplate.Template{}
)

// Every language must have both templates: a missing or broken one stops the program at start,
// not at the first email to that language.
func init() {
	for _, l := range licensing.Languages {
		textTemplates[l] = texttemplate.Must(texttemplate.New(string(l)).Option("missingkey=error").ParseFS(templateFiles, "templates/"+string(l)+".txt"))
		htmlTemplates[l] = htmltemplate.Must(htmltemplate.New(string(l)).Option("missingkey=error").ParseFS(templateFiles, "templates/"+string(l)+".html"))
	}
}

// emailData is what the templates may use.
type emailData struct {
	Subject          string
	RecipientName    string
	OrganizationName string
	EnrollmentNumber string
	Link             string
	LinkExpires      string // "2027-05-23 00:00 UTC", or empty when the link does not expire
}

// Compose renders a claimed email in its customer's language (English for an unknown one),
// with link = the activation page carrying the token. sentAt dates the message.
func Compose(m models.DueEmail, link string, sentAt time.Time) (Message, error) {
	lang := m.Language
	if !lang.Valid() {
		lang = licensing.LanguageEnglish
	}
	data := emailData{Subject: m.Subject, RecipientName: m.RecipientName, OrganizationName: m.OrganizationName,
		EnrollmentNumber: m.EnrollmentNumber, Link: link}
	if m.LinkExpiresAt != nil {
		data.LinkExpires = m.LinkExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	msg := Message{ID: m.ID, To: m.Recipient, Subject: m.Subject, EnrollmentNumber: m.EnrollmentNumber, Trigger: m.EmailTrigger,
		Language: lang, Link: link, Date: sentAt}
	var text, html bytes.Buffer
	if err := textTemplates[lang].ExecuteTemplate(&text, string(lang)+".txt", data); err != nil {
		return msg, fmt.Errorf("activation email text (%s): %w", lang, err)
	}
	if err := htmlTemplates[lang].ExecuteTemplate(&html, string(lang)+".html", data); err != nil {
		return msg, fmt.Errorf("activation email HTML (%s): %w", lang, err)
	}
	msg.Text, msg.HTML = text.String(), html.String()
	return msg, nil
}

// recipientDomain is the part of an address logs may show.
func recipientDomain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return "(none)"
}
