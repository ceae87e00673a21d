package models

// The rollup's group sums (license_cell_sums, migration 0015): per reseller, the sums of its
// stored cells by one dimension, read by the summaries that would otherwise read every cell
// (summary_cells.go). They are always the sums of license_cells: whatever writes a pool's cells
// adds their change to the sums in the same transaction (refreshPools, under the pools' row
// locks, which also orders the reads of the old cells; RebuildLicenseCells, which writes a
// reseller's sums anew), and CheckLicenseCells compares them with the cells. Adding, not
// recomputing, is what lets two refreshes of different pools write one sum row: each adds its
// own change to the row's latest value (an upsert reads it locked), in either order, on any
// Galera node (a certification conflict on the row is a retry, InTx).

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/licensing-api/licensing-api/licensing"
)

// The dimensions of license_cell_sums.dim.
const (
	sumByProgramSKU = 0 // program ('' for none) and SKU: reseller, SKU, family, program
	sumByCustomer   = 1 // group_key the customer, 0 for none
	sumByAgreement  = 2 // group_key the agreement, 0 for none
	sumByEnrollment = 3 // group_key the enrollment, 0 for none
	sumByAccount    = 4 // group_key the account_key (-reseller for no account)
	sumByAccountSKU = 5 // group_key the account_key, and SKU: one row per pool
)

// cellSumShards spreads the rows every pool adds to (dim 0, no agreement, no enrollment) over
// this many rows, by the pool's account_key, so that concurrent refreshes seldom wait on one.
const cellSumShards = 16

// LicenseCellSum is a row of license_cell_sums.
type LicenseCellSum struct {
	ResellerID           int64  `gorm:"primaryKey;autoIncrement:false"`
	Dim                  int    `gorm:"primaryKey;autoIncrement:false"`
	GroupKey             int64  `gorm:"primaryKey;autoIncrement:false"`
	Program              string `gorm:"primaryKey"`
	SKU                  string `gorm:"column:sku;primaryKey"`
	Shard                int    `gorm:"primaryKey;autoIncrement:false"`
	licensing.SummaryRow `gorm:"embedded"`
	Cells                int
}

func (LicenseCellSum) TableName() string { return "license_cell_sums" }

// cellSumKey is a row's key in license_cell_sums.
type cellSumKey struct {
	ResellerID int64
	Dim        int
	GroupKey   int64
	Program    string
	SKU        string
	Shard      int
}

// cellSumValues are a row's sums.
type cellSumValues struct {
	licensing.SummaryRow
	Cells int
}

func compareSumKeys(a, b cellSumKey) int {
	return cmp.Or(cmp.Compare(a.ResellerID, b.ResellerID), cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.GroupKey, b.GroupKey),
		cmp.Compare(a.Program, b.Program), cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Shard, b.Shard))
}

// cellSums adds sign times each cell to the sums rows it counts in.
func cellSums(into map[cellSumKey]*cellSumValues, cells []LicenseCell, sign int) {
	orZero := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	for _, c := range cells {
		shard := int(c.AccountKey % cellSumShards)
		program := ""
		if c.Program != nil {
			program = *c.Program
		}
		for _, k := range []cellSumKey{
			{Dim: sumByProgramSKU, Program: program, SKU: c.SKU},
			{Dim: sumByCustomer, GroupKey: orZero(c.CustomerID)},
			{Dim: sumByAgreement, GroupKey: orZero(c.AgreementID)},
			{Dim: sumByEnrollment, GroupKey: orZero(c.EnrollmentID)},
			{Dim: sumByAccount, GroupKey: c.AccountKey},
			{Dim: sumByAccountSKU, GroupKey: c.AccountKey, SKU: c.SKU},
		} {
			k.ResellerID, k.Shard = c.ResellerID, shard
			v := into[k]
			if v == nil {
				v = &cellSumValues{}
				into[k] = v
			}
			v.Licensed += sign * c.Licensed
			v.Pending += sign * c.Pending
			v.InGrace += sign * c.InGrace
			v.ReservedNotBilled += sign * c.ReservedNotBilled
			v.Assigned += sign * c.Assigned
			v.Unassignable += sign * c.Unassignable
			v.Cells += sign
		}
	}
}

// addCellSums adds the changes to the stored sums (a row not there yet is the change itself),
// in key order so that two writers lock common rows in the same order. Rows that do not
// change are not written: a refresh that changes nothing locks no sum row.
func (s *Store) addCellSums(ctx context.Context, changes map[cellSumKey]*cellSumValues) error {
	keys := make([]cellSumKey, 0, len(changes))
	for k, v := range changes {
		if *v != (cellSumValues{}) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareSumKeys)
	values := []string{"licensed", "pending", "in_grace", "reserved_not_billed", "assigned", "unassignable", "cells"}
	var upd []string
	for _, c := range values {
		if s.dialect == MySQL {
			upd = append(upd, c+" = "+c+" + VALUES("+c+")")
		} else {
			upd = append(upd, c+" = license_cell_sums."+c+" + excluded."+c)
		}
	}
	conflict := " ON DUPLICATE KEY UPDATE "
	if s.dialect != MySQL {
		conflict = " ON CONFLICT (reseller_id, dim, group_key, program, sku, shard) DO UPDATE SET "
	}
	for chunk := range slices.Chunk(keys, 500) {
		var b sqlBuilder
		b.add("INSERT INTO license_cell_sums (reseller_id, dim, group_key, program, sku, shard, " + strings.Join(values, ", ") + ") VALUES ")
		for i, k := range chunk {
			if i > 0 {
				b.add(", ")
			}
			v := changes[k]
			b.add("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", k.ResellerID, k.Dim, k.GroupKey, k.Program, k.SKU, k.Shard,
				v.Licensed, v.Pending, v.InGrace, v.ReservedNotBilled, v.Assigned, v.Unassignable, v.Cells)
		}
		b.add(conflict + strings.Join(upd, ", "))
		if err := s.ctx(ctx).Exec(b.String(), b.args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// storedCellsOf reads the stored cells of pools.
func (s *Store) storedCellsOf(ctx context.Context, pools []cellPool) ([]LicenseCell, error) {
	var out []LicenseCell
	for chunk := range slices.Chunk(pools, 100) {
		var b sqlBuilder
		b.add("SELECT * FROM license_cells WHERE ")
		poolsSQL(&b, chunk, "reseller_id", "account_key", "sku")
		var rows []LicenseCell
		if err := s.ctx(ctx).Raw(b.String(), b.args...).Scan(&rows).Error; err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// sumsDiff describes how a reseller's stored sums differ from the sums of its stored cells, ""
// if they do not (a stored row at zero is no row).
func (s *Store) sumsDiff(ctx context.Context, r int64, cells []LicenseCell, examples int) (string, error) {
	want := map[cellSumKey]*cellSumValues{}
	cellSums(want, cells, 1)
	var stored []LicenseCellSum
	if err := s.ctx(ctx).Where("reseller_id = ?", r).Find(&stored).Error; err != nil {
		return "", err
	}
	have := map[cellSumKey]cellSumValues{}
	for _, r := range stored {
		k := cellSumKey{ResellerID: r.ResellerID, Dim: r.Dim, GroupKey: r.GroupKey, Program: r.Program, SKU: r.SKU, Shard: r.Shard}
		v := cellSumValues{SummaryRow: r.SummaryRow, Cells: r.Cells}
		if v != (cellSumValues{}) {
			have[k] = v
		}
	}
	var diffs []string
	for k, v := range want {
		if h, ok := have[k]; !ok || h != *v {
			diffs = append(diffs, fmt.Sprintf("%+v: stored %+v, cells %+v", k, h, *v))
		}
		delete(have, k)
	}
	for k, h := range have {
		diffs = append(diffs, fmt.Sprintf("%+v: stored %+v, no cell", k, h))
	}
	if len(diffs) == 0 {
		return "", nil
	}
	slices.Sort(diffs)
	return fmt.Sprintf("%d sums differ from the cells, e.g. %v", len(diffs), diffs[:min(len(diffs), max(examples, 1))]), nil
}
