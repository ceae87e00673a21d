package mail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// FileSender writes each message as an .eml file into Dir, for development: open it in a mail
// client or read the link from it. The files carry activation tokens, so they are readable by
// their owner only.
type FileSender struct {
	Dir  string
	From string
}

// Send writes <enrollment>-<email id>-<unix nanos>.eml; a file appears whole or not at all.
func (f FileSender) Send(_ context.Context, m Message) error {
	msg, err := m.mime(f.From)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("mail folder: %w", err)
	}
	tmp, err := os.CreateTemp(f.Dir, ".activation-*.tmp")
	if err != nil {
		return fmt.Errorf("mail folder: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := msg.WriteTo(tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing message: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing message: %w", err)
	}
	name := fmt.Sprintf("%s-%d-%d.eml", safeFileName(m.EnrollmentNumber), m.ID, m.Date.UnixNano())
	return os.Rename(tmp.Name(), filepath.Join(f.Dir, name))
}

// safeFileName keeps letters, digits, '-' and '_' of an enrollment number.
func safeFileName(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '-' || r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return "enrollment"
	}
	return string(out)
}
