package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestMigrateStatus(t *testing.T) {
	db := tempDB(t)
	out, err := runCmd(t, nil, "migrate", "status", "-database-url", db)
	if err != nil {
		t.Fatalf("status of an empty database: %v", err)
	}
	pending := regexp.MustCompile(`(?m)^000[1-5]_\w+\.sql +pending$`)
	if n := len(pending.FindAllString(out, -1)); n != 5 {
		t.Errorf("status of an empty database lists %d pending migrations, want 5:\n%s", n, out)
	}
	if _, err := runCmd(t, nil, "migrate", "-database-url", db); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, nil, "migrate", "status", "-database-url", db)
	if err != nil {
		t.Fatal(err)
	}
	applied := regexp.MustCompile(`(?m)^000[1-5]_\w+\.sql +applied \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	if n := len(applied.FindAllString(out, -1)); n != 5 || strings.Contains(out, "pending") {
		t.Errorf("status after migrate lists %d applied migrations, want 5 and none pending:\n%s", n, out)
	}
	if _, err := runCmd(t, nil, "migrate", "status", "-database-url", db, "extra"); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("migrate status with a stray argument: %v", err)
	}
}
