package models

import (
	"fmt"

	"github.com/licensing-api/licensing-api/licensing"
)

// Refusals of the store, as licensing.Problems.

func refuse(code licensing.Code, msg string, input ...string) error {
	return licensing.Problems{{Input: input, Code: code, Message: msg}}
}

func problem(p *licensing.Problem) error {
	if p == nil {
		return nil
	}
	return licensing.Problems{*p}
}

// wrap names the operation an error came from, keeping the error itself for errors.Is and
// errors.As (a refusal stays licensing.Problems, a missing row ErrNotFound).
func wrap(operation string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", operation, err)
}
