package e2e

// The GraphQL documents the e2e tests send, one per operation, with the selections every test
// reads (a test reads the fields it asserts; one selection serves them all).

const (
	ueSel         = `userErrors { field code message }`
	emailSel      = `recipient subject trigger scheduledAt dueBy sentAt bouncedAt lastError`
	productKeySel = `key sku { code } quantity redeemedAt redeemedAccount { id }`
	orderSel      = `id number status purchaseDate usageStartDate idempotencyKey createdAt processedAt availableAt cancelledAt
		enrollment { number } lines { sku { code } quantity } movesFromSubscription { id } productKeys { ` + productKeySel + ` }`
	reservationSel  = `id status quantity contactEmail reservedAt processedAt billingDate overdueAt idempotencyKey sku { code } enrollment { number }`
	subscriptionSel = `id sku { code } program status quantity pendingQuantity licensedQuantity endDate autoRenew cancelledAt graceUntil asOf enrollment { number }`
	enrollmentSel   = `id number status organizationName osm { name email } account { id name } associationCause associatedAt
		originalPurchaseDate activationLinkExpiresAt activationEmails(first: 100) { edges { node { ` + emailSel + ` } } } renewedFrom { number }`
	licenseSel  = `sku { code } licensed pending inGrace assigned available`
	conflictSel = `sku { code } licensed pending inGrace assigned deficit affectedUsers resolutions { kind newTotal userCount subscriptionIds skus { code } availableAt message }`
)

// Records: customers, agreements, enrollments, accounts and their users.
const (
	createCustomerDoc   = `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } ` + ueSel + ` } }`
	createAgreementDoc  = `mutation($in: CreateAgreementInput!) { createAgreement(input: $in) { agreement { id number program contacts { name email roles } } ` + ueSel + ` } }`
	createEnrollmentDoc = `mutation($in: CreateEnrollmentInput!) { createEnrollment(input: $in) { enrollment { id number } ` + ueSel + ` } }`
	createAccountDoc    = `mutation($in: CreateAccountInput!) { createAccount(input: $in) { account { id } ` + ueSel + ` } }`
	addAccountUsersDoc  = `mutation($in: AddAccountUsersInput!) { addAccountUsers(input: $in) { account { id } ` + ueSel + ` } }`
	addUsersDoc         = `mutation($a: ID!, $u: [AccountUserInput!]!) { addAccountUsers(input: {accountId: $a, users: $u}) { account { id } ` + ueSel + ` } }`
	enrollmentDoc       = `query($n: String!) { enrollment(number: $n) { ` + enrollmentSel + ` } }`
	accountDoc          = `query($id: ID!, $at: DateTime) { node(id: $id) { ... on Account { id name country verifiedDomains
		administrators { name email role } customer { id } users(first: 100) { totalCount edges { node { userName } } }
		enrollments(first: 100) { totalCount edges { node { number } } }
		subscriptions(asOf: $at, first: 100) { totalCount edges { node { ` + subscriptionSel + ` } } } } } }`
	customerAccountsDoc = `query($id: ID!) { node(id: $id) { ... on Customer { accounts(first: 100) { totalCount } } } }`
	activeSeatsDoc      = `query($n: String!, $at: DateTime) { agreement(number: $n) { activeSeats(asOf: $at) } }`
)

// Orders (R-ORD) and reservations (R-RES).
const (
	createOrderDoc  = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { ` + orderSel + ` } ` + ueSel + ` } }`
	processOrderDoc = `mutation($id: ID!) { processOrder(input: {orderId: $id}) { order { ` + orderSel + ` } ` + ueSel + ` } }`
	cancelOrderDoc  = `mutation($id: ID!) { cancelOrder(input: {orderId: $id}) { order { ` + orderSel + ` } ` + ueSel + ` } }`
	orderDoc        = `query($n: String!) { order(number: $n) { ` + orderSel + ` } }`
	ordersDoc       = `query($f: OrderFilter) { orders(filter: $f, first: 100) { totalCount edges { node { id status } } } }`

	createReservationDoc     = `mutation($in: CreateReservationInput!) { createReservation(input: $in) { reservation { ` + reservationSel + ` } ` + ueSel + ` } }`
	processReservationDoc    = `mutation($id: ID!) { processReservation(input: {reservationId: $id}) { reservation { ` + reservationSel + ` } ` + ueSel + ` } }`
	reservationsDoc          = `query($f: ReservationFilter, $at: DateTime) { reservations(filter: $f, first: 100) { totalCount edges { node { id status overdue(asOf: $at) } } } }`
	notBilledReservationsDoc = `query($at: DateTime) { reservations(first: 100, filter: {notBilledAsOf: $at}) { totalCount edges { node { id quantity } } } }`
	grantPermissionDoc       = `mutation($n: String!, $a: String!) { grantReservationPermission(input: {enrollmentNumber: $n, actingContactEmail: $a}) { enrollment { number osmCanManageReservations } ` + ueSel + ` } }`
	revokePermissionDoc      = `mutation($n: String!, $a: String!) { revokeReservationPermission(input: {enrollmentNumber: $n, actingContactEmail: $a}) { enrollment { number osmCanManageReservations } ` + ueSel + ` } }`
	osmCanReserveDoc         = `query($n: String!) { enrollment(number: $n) { osmCanManageReservations } }`
)

// Subscriptions (R-SUB).
const (
	setQuantityDoc             = `mutation($id: ID!, $q: Int!, $acc: Boolean) { setSubscriptionQuantity(input: {subscriptionId: $id, quantity: $q, acceptConflict: $acc}) { subscription { ` + subscriptionSel + ` } ` + ueSel + ` } }`
	setAutoRenewDoc            = `mutation($id: ID!, $on: Boolean!) { setAutoRenew(input: {subscriptionId: $id, autoRenew: $on}) { subscription { ` + subscriptionSel + ` } ` + ueSel + ` } }`
	renewSubscriptionDoc       = `mutation($id: ID!) { renewSubscription(input: {subscriptionId: $id}) { subscription { ` + subscriptionSel + ` } ` + ueSel + ` } }`
	cancelSubscriptionDoc      = `mutation($id: ID!) { cancelSubscription(input: {subscriptionId: $id}) { subscription { ` + subscriptionSel + ` } ` + ueSel + ` } }`
	directSubscriptionDoc      = `mutation($in: CreateDirectSubscriptionInput!) { createDirectSubscription(input: $in) { subscription { ` + subscriptionSel + ` } ` + ueSel + ` } }`
	enrollmentSubscriptionsDoc = `query($n: String!, $at: DateTime) { enrollment(number: $n) { subscriptions(asOf: $at, first: 100) { totalCount edges { node { ` + subscriptionSel + ` } } } } }`
	accountSubscriptionsDoc    = `query($id: ID!, $at: DateTime) { node(id: $id) { ... on Account { subscriptions(asOf: $at, first: 100) { totalCount edges { node { ` + subscriptionSel + ` } } } } } }`
	enrollmentAccountDoc       = `query($n: String!) { enrollment(number: $n) { id number status account { id }
		subscriptions(first: 100) { edges { node { ` + subscriptionSel + ` } } } } }`
	renewEnrollmentDoc = `mutation($in: RenewEnrollmentInput!) { renewEnrollment(input: $in) { oldEnrollment { ` + enrollmentSel + ` } newEnrollment { ` + enrollmentSel + ` }
		graceUntil carriedSkus reassignSkus ` + ueSel + ` } }`
)

// Activation (R-ACT, R-ENR).
const (
	statusDoc = `query($n: String!, $at: DateTime) { activationStatus(enrollmentNumber: $n, asOf: $at) { asOf state enrollment { number } requiredAccount { id }
		reasons { code message action changesAt account { id } } } }`
	statusNowDoc = `query($n: String!) { activationStatus(enrollmentNumber: $n) { asOf state enrollment { number } reasons { code message action changesAt } } }`
	activateDoc  = `mutation($in: ActivateEnrollmentInput!) { activateEnrollment(input: $in) { enrollment { ` + enrollmentSel + ` } ` + ueSel + ` } }`
	contactDoc   = `mutation($in: UpdateSubscriptionContactInput!) { updateSubscriptionContact(input: $in) { enrollment { ` + enrollmentSel + ` }
		email { ` + emailSel + ` } emailNotSentReason ` + ueSel + ` } }`
	resendDoc   = `mutation($n: String!) { resendActivationEmail(input: {enrollmentNumber: $n}) { email { ` + emailSel + ` } ` + ueSel + ` } }`
	reenableDoc = `mutation($n: String!, $u: DateTime!) { reenableActivationLink(input: {enrollmentNumber: $n, validUntil: $u}) { enrollment { ` + enrollmentSel + ` } ` + ueSel + ` } }`
	remapDoc    = `mutation($n: String!, $a: ID!) { remapEnrollment(input: {enrollmentNumber: $n, accountId: $a}) { enrollment { ` + enrollmentSel + ` } ` + ueSel + ` } }`
	redeemDoc   = `mutation($k: String!, $a: ID!) { redeemProductKey(input: {productKey: $k, accountId: $a}) { productKey { ` + productKeySel + ` } ` + ueSel + ` } }`
)

// License assignments, conflicts and the summary (R-LIC, R-BI).
const (
	assignDoc = `mutation($a: ID!, $s: String!, $u: [String!]!) { assignLicenses(input: {accountId: $a, sku: $s, userNames: $u}) {
		account { id } license { ` + licenseSel + ` } changedUsers ` + ueSel + ` } }`
	removeDoc = `mutation($a: ID!, $s: String!, $u: [String!]!, $c: Boolean!) { removeLicenses(input: {accountId: $a, sku: $s, userNames: $u, confirmDataLoss: $c}) {
		account { id } license { ` + licenseSel + ` } changedUsers ` + ueSel + ` } }`
	deleteUserDoc = `mutation($a: ID!, $u: String!) { deleteAccountUser(input: {accountId: $a, userName: $u}) {
		account { id users(first: 100) { totalCount edges { node { userName } } } } freedSkus ` + ueSel + ` } }`
	accountUsersBySKUDoc = `query($id: ID!, $sku: String, $first: Int, $after: String) { node(id: $id) { ... on Account {
		users(first: $first, after: $after, filter: {sku: $sku}) { totalCount pageInfo { hasNextPage endCursor } edges { node { id userName } } } } } }`
	userLicensesDoc = `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on AccountUser { userName
		licenses(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { sku { code } assignedAt } } } } } }`
	licensesDoc              = `query($id: ID!, $at: DateTime) { node(id: $id) { ... on Account { licenses(asOf: $at) { ` + licenseSel + ` } } } }`
	conflictsDoc             = `query($a: ID!, $at: DateTime) { licenseConflicts(accountId: $a, asOf: $at) { ` + conflictSel + ` } }`
	accountsWithConflictsDoc = `query($at: DateTime, $first: Int, $after: String) { accountsWithConflicts(asOf: $at, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } edges { cursor node { account { id } skusInConflict deficit } } } }`
	summaryDoc = `query($g: [SummaryDimension!]!, $f: LicenseSummaryFilter, $at: DateTime, $first: Int, $after: String) {
		licenseSummary(groupBy: $g, filter: $f, asOf: $at, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node { reseller { id } customer { id } agreement { id } program enrollment { number } account { id } sku { code } family
			licensed pending inGrace reservedNotBilled assigned available } } } }`
)

// Events (issue 13).
const eventsDoc = `query($after: String) { events(first: 100, after: $after) { edges { node { topicName occurredAt data } cursor } pageInfo { endCursor hasNextPage } } }`
