package models

import "github.com/licensing-api/licensing-api/licensing"

// Refusals of the store, as licensing.Problems.

func refuse(code licensing.Code, msg string, field ...string) error {
	return licensing.Problems{{Field: field, Code: code, Message: msg}}
}

func problem(p *licensing.Problem) error {
	if p == nil {
		return nil
	}
	return licensing.Problems{*p}
}
