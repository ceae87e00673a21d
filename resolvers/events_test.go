package resolvers

import (
	"testing"

	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/models"
)

// Events name objects by the API's global IDs, made in models (which cannot import this
// package): both must make the same IDs.
func TestEventDataUsesTheAPIsGlobalIDs(t *testing.T) {
	for _, typ := range []string{"Order", "Enrollment", "Account", "Subscription", "Reservation", "Event"} {
		for _, id := range []int64{1, 253315140049579059} {
			if got, want := models.GlobalID(typ, id), globalID(typ, id); got != want {
				t.Errorf("models.GlobalID(%s, %d) = %s, want %s", typ, id, got, want)
			}
		}
	}
}

// Every topic the store records is a value of the EventTopic enum, and back.
func TestEveryTopicIsInTheSchema(t *testing.T) {
	if len(models.Topics) != len(model.AllEventTopic) {
		t.Fatalf("%d topics in models, %d in the schema", len(models.Topics), len(model.AllEventTopic))
	}
	for _, topic := range models.Topics {
		v := eventTopic(topic)
		if !v.IsValid() {
			t.Errorf("topic %s maps to %s, not in enum EventTopic", topic, v)
		}
		if back := storeTopics([]model.EventTopic{v}); len(back) != 1 || back[0] != topic {
			t.Errorf("%s maps back to %v", v, back)
		}
	}
}
