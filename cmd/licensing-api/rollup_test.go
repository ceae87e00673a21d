package main

import (
	"database/sql"
	"strings"
	"testing"

	_ "github.com/glebarez/go-sqlite" // the driver of the SQLite store
)

// R-BI-2: rollup check passes on the demo data, fails (exit status 1) once the ledger changed
// behind the rollup's back,
// and rollup repair clears the drift.
func TestRollupCheckAndRepair(t *testing.T) {
	db := tempDB(t)
	if _, err := runCmd(t, nil, "seed-demo", "-database-url", db); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, nil, "rollup", "check", "-database-url", db)
	if err != nil || !strings.Contains(out, "drifted: 0") || !strings.Contains(out, "rollup built: true") {
		t.Fatalf("check of the demo data: %v\n%s", err, out)
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// A subscription written past the application (the demo has none): its pool is in the
	// ledger, not in the rollup.
	if _, err := raw.Exec(`INSERT INTO subscriptions (id, reseller_id, enrollment_id, direct_account_id, program, sku, quantity, end_date, auto_renew, created_at, updated_at)
		SELECT 42, reseller_id, NULL, id, 'MOSP', 'INTUNE', 3, '2099-01-01', 1, created_at, created_at FROM accounts ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, nil, "rollup", "check", "-database-url", db)
	if err == nil || !strings.Contains(err.Error(), "drifted") || strings.Contains(out, "drifted: 0") {
		t.Fatalf("check after corrupting cells: %v\n%s", err, out)
	}
	if out, err = runCmd(t, nil, "rollup", "repair", "-database-url", db); err != nil || !strings.Contains(out, "rewritten") {
		t.Fatalf("repair: %v\n%s", err, out)
	}
	if out, err = runCmd(t, nil, "rollup", "check", "-database-url", db); err != nil || !strings.Contains(out, "drifted: 0") {
		t.Fatalf("check after the repair: %v\n%s", err, out)
	}
}
