package mail

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
)

// Mode is how activation emails leave the system.
type Mode string

const (
	ModeSMTP Mode = "smtp" // a real mail server (SMTP_URL)
	ModeFile Mode = "file" // .eml files in a folder (MAIL_DIR), for development
	ModeLog  Mode = "log"  // a log line without token, link or address, for development
)

// DefaultDevelopmentFrom is the From address of the development modes when none is set.
const DefaultDevelopmentFrom = "Licensing <no-reply@licensing.invalid>"

// Config are the mail settings.
type Config struct {
	// Mode: empty means smtp when SMTPURL is set, file when Dir is set, else log.
	Mode       Mode
	SMTPURL    string // see ParseSMTPURL
	Dir        string // the folder of the file mode
	From       string // MAIL_FROM; wins over SMTP_URL's from=
	Production bool   // refuses every mode but smtp
	Log        *slog.Logger
}

// NewSender builds the sender the settings describe, and says which mode it is. In
// production only a real mail server will do: the server must not start and silently send
// nothing.
func NewSender(cfg Config) (Sender, Mode, error) {
	mode := cfg.Mode
	if mode == "" {
		switch {
		case cfg.SMTPURL != "" && cfg.Dir != "":
			return nil, "", errors.New("mail: set SMTP_URL (a real mail server) or MAIL_DIR (.eml files), not both")
		case cfg.SMTPURL != "":
			mode = ModeSMTP
		case cfg.Dir != "":
			mode = ModeFile
		default:
			mode = ModeLog
		}
	}
	if cfg.Production && mode != ModeSMTP {
		return nil, mode, fmt.Errorf("mail: production needs a real mail server: set SMTP_URL (mail mode is %q)", mode)
	}
	if cfg.From != "" {
		if _, err := mail.ParseAddress(cfg.From); err != nil {
			return nil, mode, fmt.Errorf("MAIL_FROM %q is not an email address", cfg.From)
		}
	}
	switch mode {
	case ModeSMTP:
		if cfg.SMTPURL == "" {
			return nil, mode, errors.New("mail: the smtp mode needs SMTP_URL")
		}
		sc, err := ParseSMTPURL(cfg.SMTPURL)
		if err != nil {
			return nil, mode, err
		}
		if cfg.From != "" {
			sc.From = cfg.From
		}
		s, err := NewSMTPSender(sc)
		return s, mode, err
	case ModeFile:
		if cfg.Dir == "" {
			return nil, mode, errors.New("mail: the file mode needs MAIL_DIR")
		}
		return FileSender{Dir: cfg.Dir, From: orDefault(cfg.From, DefaultDevelopmentFrom)}, mode, nil
	case ModeLog:
		if cfg.Log == nil {
			return nil, mode, errors.New("mail: the log mode needs a logger")
		}
		return LogSender{Log: cfg.Log}, mode, nil
	}
	return nil, mode, fmt.Errorf("mail: unknown mode %q (smtp, file, log)", mode)
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
