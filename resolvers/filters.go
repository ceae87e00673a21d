package resolvers

import (
	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
)

// One function per GraphQL filter input type: the store's filter it stands for. No filter is
// the zero filter, which keeps every row the caller may see. A GraphQL enum and its domain type
// have the same values, so an optional one converts as a pointer.

func customerFilter(in *model.CustomerFilter) (f models.CustomerFilter) {
	if in != nil {
		f = models.CustomerFilter{ResellerID: filterID(in.ResellerID, "Reseller"), Country: in.Country, NameLike: in.NameContains}
	}
	return f
}

func agreementFilter(in *model.AgreementFilter) (f models.AgreementFilter) {
	if in != nil {
		f = models.AgreementFilter{CustomerID: filterID(in.CustomerID, "Customer"), Program: (*licensing.Program)(in.Program)}
	}
	return f
}

func enrollmentFilter(in *model.EnrollmentFilter) (f models.EnrollmentFilter) {
	if in != nil {
		f = models.EnrollmentFilter{AgreementID: filterID(in.AgreementID, "Agreement"), AccountID: filterID(in.AccountID, "Account"),
			Status: (*licensing.EnrollmentStatus)(in.Status)}
	}
	return f
}

func accountFilter(in *model.AccountFilter) (f models.AccountFilter) {
	if in != nil {
		f = models.AccountFilter{CustomerID: filterID(in.CustomerID, "Customer"), Country: in.Country}
	}
	return f
}

func accountUserFilter(accountID int64, in *model.AccountUserFilter) models.AccountUserFilter {
	f := models.AccountUserFilter{AccountID: accountID}
	if in != nil {
		f.SKU = in.Sku
	}
	return f
}

func orderFilter(in *model.OrderFilter) (f models.OrderFilter) {
	if in != nil {
		f = models.OrderFilter{EnrollmentID: filterID(in.EnrollmentID, "Enrollment"), Status: (*licensing.OrderStatus)(in.Status),
			PurchasedFrom: in.PurchasedFrom, PurchasedTo: in.PurchasedTo}
	}
	return f
}

func reservationFilter(in *model.ReservationFilter) (f models.ReservationFilter) {
	if in != nil {
		f = models.ReservationFilter{EnrollmentID: filterID(in.EnrollmentID, "Enrollment"), Status: (*licensing.ReservationStatus)(in.Status),
			ReservedFrom: in.ReservedFrom, ReservedTo: in.ReservedTo, NotBilledAsOf: in.NotBilledAsOf, OverdueAsOf: in.OverdueAsOf}
	}
	return f
}

func skuFilter(in *model.SkuFilter) (f models.SKUFilter) {
	if in != nil {
		f = models.SKUFilter{Family: (*licensing.Family)(in.Family), Kind: (*licensing.SKUKind)(in.Kind)}
	}
	return f
}

func deliveryFilter(in *model.WebhookDeliveryFilter) (f models.DeliveryFilter) {
	if in != nil {
		f = models.DeliveryFilter{EndpointID: filterID(in.EndpointID, "WebhookEndpoint"), EventID: filterID(in.EventID, "Event"),
			Status: (*models.DeliveryStatus)(in.Status)}
	}
	return f
}

func attemptFilter(in *model.WebhookAttemptFilter) (f models.AttemptFilter) {
	if in != nil {
		f = models.AttemptFilter{EndpointID: filterID(in.EndpointID, "WebhookEndpoint"), DeliveryID: filterID(in.DeliveryID, "WebhookDelivery"),
			EventID: filterID(in.EventID, "Event")}
	}
	return f
}
