package resolvers

import (
	"context"
	"strings"

	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/models"
)

// Events and webhooks (issue 13): mapping between the store's rows and the API's view.

// eventTopic is a topic's enum value: upper case, the dot an underscore (order.created is
// ORDER_CREATED).
func eventTopic(t models.Topic) model.EventTopic {
	return model.EventTopic(strings.ToUpper(strings.ReplaceAll(string(t), ".", "_")))
}

// storeTopics maps enum values back to the store's topics.
func storeTopics(in []model.EventTopic) []models.Topic {
	if in == nil {
		return nil
	}
	out := make([]models.Topic, 0, len(in))
	for _, v := range in {
		for _, t := range models.Topics {
			if eventTopic(t) == v {
				out = append(out, t)
			}
		}
	}
	return out
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func mapEvent(e *models.Event) *model.Event {
	return &model.Event{ID: globalID("Event", e.ID), Topic: eventTopic(e.Topic), TopicName: string(e.Topic), OccurredAt: e.OccurredAt,
		RecordedAt: e.CreatedAt, Data: e.Payload}
}

// eventConnection pages events by their reading order (seq): the cursor is the seq.
func eventConnection(l *models.List[models.Event]) *model.EventConnection {
	e, pi := edges[model.EventEdge](l.Items, mapEvent, func(_ int, e *models.Event) string { return cursor(*e.Seq) }, l.HasNext)
	return &model.EventConnection{Edges: e, PageInfo: pi}
}

func mapWebhookEndpoint(ep *models.WebhookEndpoint) *model.WebhookEndpoint {
	if ep == nil {
		return nil
	}
	out := &model.WebhookEndpoint{ID: globalID("WebhookEndpoint", ep.ID), URL: ep.URL, Topics: []model.EventTopic{}, Description: ep.Description,
		Status: model.WebhookEndpointStatus(ep.Status), DisabledAt: ep.DisabledAt, DisabledReason: optionalString(ep.DisabledReason),
		FailingSince: ep.FailingSince, LastFailureAt: ep.LastFailureAt, LastFailure: optionalString(ep.LastFailure), LastSuccessAt: ep.LastSuccessAt,
		SecretRotatedAt: ep.SecretRotatedAt, CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt}
	for _, t := range ep.TopicList() {
		out.Topics = append(out.Topics, eventTopic(t))
	}
	if ep.PreviousSecret != nil {
		out.PreviousSecretExpiresAt = ep.PreviousSecretUntil
	}
	return out
}

var webhookEndpointConnection = pager[model.WebhookEndpointConnection, model.WebhookEndpointEdge](func(r *models.WebhookEndpoint) int64 { return r.ID }, mapWebhookEndpoint)

func mapWebhookDelivery(d *models.WebhookDelivery) *model.WebhookDelivery {
	if d == nil {
		return nil
	}
	return &model.WebhookDelivery{ID: globalID("WebhookDelivery", d.ID), EndpointID: globalID("WebhookEndpoint", d.EndpointID),
		EventID: globalID("Event", d.EventID), Topic: eventTopic(d.Topic), Kind: model.WebhookDeliveryKind(d.Kind),
		Status: model.WebhookDeliveryStatus(d.Status), Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt, LastStatusCode: d.LastStatusCode,
		LastError: optionalString(d.LastError), DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt}
}

var webhookDeliveryConnection = pager[model.WebhookDeliveryConnection, model.WebhookDeliveryEdge](func(r *models.WebhookDelivery) int64 { return r.ID }, mapWebhookDelivery)

func mapWebhookAttempt(a *models.WebhookAttempt) *model.WebhookAttempt {
	return &model.WebhookAttempt{ID: globalID("WebhookAttempt", a.ID), DeliveryID: globalID("WebhookDelivery", a.DeliveryID),
		EndpointID: globalID("WebhookEndpoint", a.EndpointID), EventID: globalID("Event", a.EventID), Attempt: a.Attempt, StartedAt: a.StartedAt,
		DurationMs: a.DurationMS, StatusCode: a.StatusCode, Error: optionalString(a.Error), Succeeded: a.Succeeded, NextAttemptAt: a.NextAttemptAt}
}

var webhookAttemptConnection = pager[model.WebhookAttemptConnection, model.WebhookAttemptEdge](func(r *models.WebhookAttempt) int64 { return r.ID }, mapWebhookAttempt)

// endpointSecret is the secret a payload shows once, when the endpoint is made or its secret rotated.
func endpointSecret(ep *models.WebhookEndpoint) *string {
	if ep == nil {
		return nil
	}
	return &ep.Secret
}

func deliveryPayload(d *models.WebhookDelivery, ue []*model.UserError) *model.WebhookDeliveryPayload {
	return &model.WebhookDeliveryPayload{Delivery: mapWebhookDelivery(d), UserErrors: ue}
}

// endpointAction runs a change on one of the caller's webhook endpoints, named by its global ID.
func (r *mutationResolver) endpointAction(ctx context.Context, in inputFields, gid string, act func(c models.Caller, id int64) (*models.WebhookEndpoint, error)) (*model.WebhookEndpointPayload, error) {
	return actOn(ctx, writer, in, endpointRef(gid), act, func(ep *models.WebhookEndpoint, ue []*model.UserError) *model.WebhookEndpointPayload {
		return &model.WebhookEndpointPayload{Endpoint: mapWebhookEndpoint(ep), UserErrors: ue}
	})
}
