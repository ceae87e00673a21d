package models

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SKU is a product of the catalog. The catalog is public product data shared by every reseller.
type SKU struct {
	Code             string `gorm:"primaryKey"`
	Name             string
	Family           licensing.Family
	Kind             licensing.SKUKind
	Unit             licensing.Unit
	BaseSKUs         string `gorm:"column:base_skus"`
	Countries        string
	IncompatibleSKUs string `gorm:"column:incompatible_skus"`
}

func (SKU) TableName() string { return "skus" }

func (k SKU) BaseList() []string         { return splitList(k.BaseSKUs) }
func (k SKU) CountryList() []string      { return splitList(k.Countries) }
func (k SKU) IncompatibleList() []string { return splitList(k.IncompatibleSKUs) }

//go:embed catalog/skus.json
var catalogJSON []byte

type catalogEntry struct {
	Code             string   `json:"code"`
	Name             string   `json:"name"`
	Family           string   `json:"family"`
	Kind             string   `json:"kind"`
	Unit             string   `json:"unit"`
	BaseSKUs         []string `json:"baseSkus"`
	Countries        []string `json:"countries"`
	IncompatibleSKUs []string `json:"incompatibleSkus"`
}

// MaxSKUs bounds the catalog: lists with one item per SKU (an account's licenses, its conflicts)
// are priced by it (server/cost.go), so loadCatalog refuses a larger catalog.
const MaxSKUs = 100

// loadCatalog upserts the shipped catalog (catalog/skus.json), so a new release's catalog
// lands with its migration step. It checks the file first: a bad catalog stops start-up.
func (s *Store) loadCatalog(ctx context.Context) error {
	var entries []catalogEntry
	if err := json.Unmarshal(catalogJSON, &entries); err != nil {
		return fmt.Errorf("catalog/skus.json: %w", err)
	}
	if len(entries) > MaxSKUs {
		return fmt.Errorf("catalog/skus.json: %d SKUs, more than MaxSKUs (%d)", len(entries), MaxSKUs)
	}
	known := map[string]bool{}
	for _, e := range entries {
		known[e.Code] = true
	}
	// Coexistence is symmetric: if A cannot be on an account with B, neither can B with A.
	incompatible := map[string][]string{}
	for _, e := range entries {
		for _, other := range e.IncompatibleSKUs {
			incompatible[e.Code] = appendNew(incompatible[e.Code], other)
			incompatible[other] = appendNew(incompatible[other], e.Code)
		}
	}
	rows := make([]SKU, 0, len(entries))
	for _, e := range entries {
		if !licensing.Family(e.Family).Valid() || !licensing.SKUKind(e.Kind).Valid() || !licensing.Unit(e.Unit).Valid() {
			return fmt.Errorf("catalog/skus.json: %s has an unknown family, kind or unit", e.Code)
		}
		if (e.Kind == string(licensing.KindAddOn)) != (len(e.BaseSKUs) > 0) {
			return fmt.Errorf("catalog/skus.json: %s: an add-on, and only an add-on, names base SKUs", e.Code)
		}
		for _, ref := range append(append([]string{}, e.BaseSKUs...), e.IncompatibleSKUs...) {
			if !known[ref] {
				return fmt.Errorf("catalog/skus.json: %s names unknown SKU %s", e.Code, ref)
			}
		}
		rows = append(rows, SKU{Code: e.Code, Name: e.Name, Family: licensing.Family(e.Family), Kind: licensing.SKUKind(e.Kind),
			Unit: licensing.Unit(e.Unit), BaseSKUs: strings.Join(e.BaseSKUs, ","), Countries: strings.Join(e.Countries, ","),
			IncompatibleSKUs: strings.Join(incompatible[e.Code], ",")})
	}
	if err := s.ctx(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&rows).Error; err != nil {
		return err
	}
	s.catalog.Store(nil) // read again on next use
	return nil
}

// SKUFilter narrows the catalog.
type SKUFilter struct {
	Family *licensing.Family
	Kind   *licensing.SKUKind
}

// SKUPage pages the catalog by code.
type SKUPage struct {
	First int
	After string
}

// SKUs lists the catalog, ordered by code.
func (s *Store) SKUs(ctx context.Context, f SKUFilter, p SKUPage) (*List[SKU], error) {
	q := s.ctx(ctx).Model(&SKU{})
	q = where(q, "family = ?", f.Family)
	q = where(q, "kind = ?", f.Kind)
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, err
	}
	if p.After != "" {
		q = q.Where("code > ?", p.After)
	}
	var rows []SKU
	if err := q.Order("code").Limit(p.First + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := &List[SKU]{Total: total, Items: rows}
	if len(rows) > p.First {
		out.HasNext, out.Items = true, rows[:p.First]
	}
	return out, nil
}

// SKUsByCode loads catalog entries by code (unknown codes are simply absent).
// SKUsByCode returns the catalog entries of codes. The catalog changes only when a release's
// migration loads it, so it is read once per process and kept: a SKU costs no statement.
func (s *Store) SKUsByCode(ctx context.Context, codes []string) ([]SKU, error) {
	all, err := s.catalogSKUs(ctx)
	if err != nil {
		return nil, err
	}
	var rows []SKU
	for _, code := range codes {
		if k, ok := all[code]; ok {
			rows = append(rows, *k)
		}
	}
	return rows, nil
}

// catalogSKUs is the whole catalog by code, read on first use. Its entries are shared: read
// only. A reload makes new ones, so a pointer also names the catalog it came from.
func (s *Store) catalogSKUs(ctx context.Context) (map[string]*SKU, error) {
	if m := s.catalog.Load(); m != nil {
		return *m, nil
	}
	var rows []SKU
	if err := s.ctx(ctx).Find(&rows).Error; err != nil {
		return nil, err
	}
	m := make(map[string]*SKU, len(rows))
	for i := range rows {
		m[rows[i].Code] = &rows[i]
	}
	s.catalog.Store(&m)
	return m, nil
}

func appendNew(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// CatalogSize counts the SKUs of the catalog.
func (s *Store) CatalogSize(ctx context.Context) (int, error) {
	var n int64
	err := s.ctx(ctx).Model(&SKU{}).Count(&n).Error
	return int(n), err
}
