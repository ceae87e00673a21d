package resolvers

import (
	"testing"

	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/models"
)

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
