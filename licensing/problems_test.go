package licensing

import (
	"strings"
	"testing"
)

// Assertions on problems, shared by the tests of every concept.

// wantProblems compares codes and field paths exactly, in order.
func wantProblems(t *testing.T, got Problems, want ...Problem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Code != want[i].Code || strings.Join(got[i].Input, ".") != strings.Join(want[i].Input, ".") {
			t.Errorf("problem %d: got %s %v (%s), want %s %v", i, got[i].Code, got[i].Input, got[i].Message, want[i].Code, want[i].Input)
		}
	}
}

// wantOne wants the problem code on the input field, or none when code is "" (field is then
// not looked at).
func wantOne(t *testing.T, got *Problem, code Code, field ...string) {
	t.Helper()
	if code == "" {
		if got != nil {
			t.Fatalf("want no problem, got %+v", *got)
		}
		return
	}
	if got == nil {
		t.Fatalf("want %s, got no problem", code)
	}
	if got.Code != code || strings.Join(got.Input, ".") != strings.Join(field, ".") {
		t.Fatalf("got %s %v (%s), want %s %v", got.Code, got.Input, got.Message, code, field)
	}
}

// wantMessage wants no problem when msg is "", else the problem code on input saying exactly msg.
func wantMessage(t *testing.T, got *Problem, code Code, input, msg string) {
	t.Helper()
	if msg == "" {
		wantOne(t, got, "")
		return
	}
	wantOne(t, got, code, input)
	if got.Message != msg {
		t.Fatalf("message %q, want %q", got.Message, msg)
	}
}

func prob(code Code, field ...string) Problem { return Problem{Code: code, Input: field} }
