package licensing

// The catalog: what a SKU is (family, kind, unit) as the rules need it.

// Family groups SKUs into product families.
type Family string

const (
	FamilyOffice365    Family = "OFFICE_365"
	FamilyMicrosoft365 Family = "MICROSOFT_365"
	FamilyDynamics365  Family = "DYNAMICS_365"
	FamilyIntune       Family = "INTUNE"
)

var Families = []Family{FamilyOffice365, FamilyMicrosoft365, FamilyDynamics365, FamilyIntune}

func (f Family) Valid() bool { return oneOf(f, Families) }

// SKUKind tells a base product from an add-on that needs one.
type SKUKind string

const (
	KindBase  SKUKind = "BASE"
	KindAddOn SKUKind = "ADD_ON"
)

func (k SKUKind) Valid() bool { return k == KindBase || k == KindAddOn }

// Unit is what one license of a SKU counts.
type Unit string

const (
	UnitSeat     Unit = "SEAT"
	UnitInstance Unit = "INSTANCE"
	UnitGB       Unit = "GB"
)

func (u Unit) Valid() bool { return u == UnitSeat || u == UnitInstance || u == UnitGB }

// SKUFacts is what the order rules need of a catalog SKU.
type SKUFacts struct {
	Code     string
	Family   Family
	Kind     SKUKind
	BaseSKUs []string // for an add-on: any one of these satisfies it (R-ORD-3)
	Unit     Unit
}
