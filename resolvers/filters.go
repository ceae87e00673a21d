package resolvers

import (
	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
)

// One function per GraphQL filter input type: the store's filter it stands for, given through
// optional. A GraphQL enum and its domain type have the same values, so an optional one
// converts as a pointer.

// optional is the store's filter for an optional filter argument: no filter is the zero filter,
// which keeps every row the caller may see.
func optional[I, F any](in *I, filter func(I) F) F {
	if in == nil {
		var none F
		return none
	}
	return filter(*in)
}

func customerFilter(in model.CustomerFilter) models.CustomerFilter {
	return models.CustomerFilter{ResellerID: filterID(in.ResellerID, "Reseller"), Country: in.Country, NameLike: in.NameContains}
}

func agreementFilter(in model.AgreementFilter) models.AgreementFilter {
	return models.AgreementFilter{CustomerID: filterID(in.CustomerID, "Customer"), Program: (*licensing.Program)(in.Program)}
}

func enrollmentFilter(in model.EnrollmentFilter) models.EnrollmentFilter {
	return models.EnrollmentFilter{AgreementID: filterID(in.AgreementID, "Agreement"), AccountID: filterID(in.AccountID, "Account"),
		Status: (*licensing.EnrollmentStatus)(in.Status)}
}

func accountFilter(in model.AccountFilter) models.AccountFilter {
	return models.AccountFilter{CustomerID: filterID(in.CustomerID, "Customer"), Country: in.Country}
}

func accountUserFilter(accountID int64, in *model.AccountUserFilter) models.AccountUserFilter {
	f := models.AccountUserFilter{AccountID: accountID}
	if in != nil {
		f.SKU = in.Sku
	}
	return f
}

func orderFilter(in model.OrderFilter) models.OrderFilter {
	return models.OrderFilter{EnrollmentID: filterID(in.EnrollmentID, "Enrollment"), Status: (*licensing.OrderStatus)(in.Status),
		PurchasedFrom: in.PurchasedFrom, PurchasedTo: in.PurchasedTo}
}

func reservationFilter(in model.ReservationFilter) models.ReservationFilter {
	return models.ReservationFilter{EnrollmentID: filterID(in.EnrollmentID, "Enrollment"), Status: (*licensing.ReservationStatus)(in.Status),
		ReservedFrom: in.ReservedFrom, ReservedTo: in.ReservedTo, NotBilledAsOf: in.NotBilledAsOf, OverdueAsOf: in.OverdueAsOf}
}

func skuFilter(in model.SkuFilter) models.SKUFilter {
	return models.SKUFilter{Family: (*licensing.Family)(in.Family), Kind: (*licensing.SKUKind)(in.Kind)}
}

func deliveryFilter(in model.WebhookDeliveryFilter) models.DeliveryFilter {
	return models.DeliveryFilter{EndpointID: filterID(in.EndpointID, "WebhookEndpoint"), EventID: filterID(in.EventID, "Event"),
		Status: (*models.DeliveryStatus)(in.Status)}
}

func attemptFilter(in model.WebhookAttemptFilter) models.AttemptFilter {
	return models.AttemptFilter{EndpointID: filterID(in.EndpointID, "WebhookEndpoint"), DeliveryID: filterID(in.DeliveryID, "WebhookDelivery"),
		EventID: filterID(in.EventID, "Event")}
}
