package resolvers

// The one place per GraphQL input type where licensing.Problem.Input, a path in the domain's
// words, becomes the path of a userError in the input's own field names. A word the input type
// spells alike ("sku", "quantity", "lines") and a list position pass through unchanged; the
// maps hold the words it spells otherwise.

// inputFields maps domain words to the field names of one GraphQL input type.
type inputFields struct {
	typ   string            // the GraphQL input type
	names map[string]string // domain word -> field name
}

// inputTypes lists every map, for the test that checks them against the schema.
var inputTypes []inputFields

func fieldsOf(typ string, names map[string]string) inputFields {
	in := inputFields{typ: typ, names: names}
	inputTypes = append(inputTypes, in)
	return in
}

// path is the input path of a problem as the input type names it.
func (in inputFields) path(input []string) []string {
	out := make([]string, len(input))
	for i, w := range input {
		if name, ok := in.names[w]; ok {
			w = name
		}
		out[i] = w
	}
	return out
}

var (
	createWebhookEndpointInput = fieldsOf("CreateWebhookEndpointInput", map[string]string{"reseller": "resellerId"})
	updateWebhookEndpointInput = fieldsOf("UpdateWebhookEndpointInput", map[string]string{"endpoint": "id"})
	webhookEndpointActionInput = fieldsOf("WebhookEndpointActionInput", map[string]string{"endpoint": "id"})
	rotateWebhookSecretInput   = fieldsOf("RotateWebhookSecretInput", map[string]string{"endpoint": "id", "overlap": "overlapSeconds"})
	replayWebhookEventInput    = fieldsOf("ReplayWebhookEventInput", map[string]string{"endpoint": "endpointId", "event": "eventId"})
	sendTestWebhookInput       = fieldsOf("SendTestWebhookInput", map[string]string{"endpoint": "endpointId"})

	createResellerInput  = fieldsOf("CreateResellerInput", nil)
	createAPIKeyInput    = fieldsOf("CreateApiKeyInput", map[string]string{"reseller": "resellerId"})
	revokeAPIKeyInput    = fieldsOf("RevokeApiKeyInput", map[string]string{"apiKey": "id"})
	setAPIKeyLimitsInput = fieldsOf("SetApiKeyLimitsInput", map[string]string{"apiKey": "id"})

	createCustomerInput   = fieldsOf("CreateCustomerInput", map[string]string{"reseller": "resellerId"})
	createAgreementInput  = fieldsOf("CreateAgreementInput", map[string]string{"customer": "customerId"})
	createEnrollmentInput = fieldsOf("CreateEnrollmentInput", map[string]string{"agreement": "agreementId"})
	createAccountInput    = fieldsOf("CreateAccountInput", map[string]string{"customer": "customerId", "domains": "verifiedDomains", "admins": "administrators"})
	addAccountUsersInput  = fieldsOf("AddAccountUsersInput", map[string]string{"account": "accountId"})

	createOrderInput              = fieldsOf("CreateOrderInput", map[string]string{"enrollment": "enrollmentNumber", "directSubscription": "movesFromSubscriptionId"})
	orderActionInput              = fieldsOf("OrderActionInput", map[string]string{"order": "orderId"})
	createReservationInput        = fieldsOf("CreateReservationInput", map[string]string{"enrollment": "enrollmentNumber", "contact": "contactEmail"})
	processReservationInput       = fieldsOf("ProcessReservationInput", map[string]string{"reservation": "reservationId"})
	reservationPermissionInput    = fieldsOf("ReservationPermissionInput", map[string]string{"enrollment": "enrollmentNumber", "actingContact": "actingContactEmail"})
	setSubscriptionQuantityInput  = fieldsOf("SetSubscriptionQuantityInput", map[string]string{"subscription": "subscriptionId", "total": "quantity"})
	setAutoRenewInput             = fieldsOf("SetAutoRenewInput", map[string]string{"subscription": "subscriptionId"})
	subscriptionActionInput       = fieldsOf("SubscriptionActionInput", map[string]string{"subscription": "subscriptionId"})
	createDirectSubscriptionInput = fieldsOf("CreateDirectSubscriptionInput", map[string]string{"account": "accountId"})

	updateSubscriptionContactInput = fieldsOf("UpdateSubscriptionContactInput", map[string]string{"enrollment": "enrollmentNumber"})
	resendActivationEmailInput     = fieldsOf("ResendActivationEmailInput", map[string]string{"enrollment": "enrollmentNumber"})
	reenableActivationLinkInput    = fieldsOf("ReenableActivationLinkInput", map[string]string{"enrollment": "enrollmentNumber", "linkValidUntil": "validUntil"})
	activateEnrollmentInput        = fieldsOf("ActivateEnrollmentInput", map[string]string{"account": "accountId", "domains": "verifiedDomains", "admins": "administrators"})
	remapEnrollmentInput           = fieldsOf("RemapEnrollmentInput", map[string]string{"enrollment": "enrollmentNumber", "account": "accountId"})
	redeemProductKeyInput          = fieldsOf("RedeemProductKeyInput", map[string]string{"account": "accountId"})
	renewEnrollmentInput           = fieldsOf("RenewEnrollmentInput", map[string]string{"enrollment": "enrollmentNumber"})

	assignLicensesInput    = fieldsOf("AssignLicensesInput", map[string]string{"account": "accountId", "users": "userNames"})
	removeLicensesInput    = fieldsOf("RemoveLicensesInput", map[string]string{"account": "accountId", "users": "userNames", "dataLossConfirmed": "confirmDataLoss"})
	deleteAccountUserInput = fieldsOf("DeleteAccountUserInput", map[string]string{"account": "accountId", "user": "userName"})
)
