package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

// Reading the events a change recorded (issue 13), as a partner reads them: the events
// connection, resumed from a cursor.

// eventRow is one event of the events connection.
type eventRow struct {
	Topic      string // its topicName, for example "order.created"
	OccurredAt string
	Data       map[string]any
}

// eventCursor is where a reader stopped; "" before the first event.
type eventCursor struct{ after *string }

// sequence gives the committed events their reading order, as the server's sequencer does in
// the background.
func (e *env) sequence(t testing.TB) {
	t.Helper()
	if _, err := e.Store.SequenceEvents(context.Background(), *e.clock.Load(), 10000); err != nil {
		t.Fatalf("sequence events: %v", err)
	}
}

// eventsAfter reads the reseller's events after c, in order, and moves c past them.
func (e *env) eventsAfter(t testing.TB, key string, c *eventCursor) []eventRow {
	t.Helper()
	e.sequence(t)
	var out []eventRow
	for {
		d := e.ok(key, eventsDoc, map[string]any{"after": c.after})
		var page struct {
			Events struct {
				Edges []struct {
					Node struct{ TopicName, OccurredAt, Data string }
				}
				PageInfo struct {
					EndCursor   *string
					HasNextPage bool
				}
			}
		}
		decodeJSON(t, d, &page)
		for _, ed := range page.Events.Edges {
			row := eventRow{Topic: ed.Node.TopicName, OccurredAt: ed.Node.OccurredAt}
			if err := json.Unmarshal([]byte(ed.Node.Data), &row.Data); err != nil {
				t.Fatalf("event data %q: %v", ed.Node.Data, err)
			}
			out = append(out, row)
		}
		if page.Events.PageInfo.EndCursor != nil {
			c.after = page.Events.PageInfo.EndCursor
		}
		if !page.Events.PageInfo.HasNextPage {
			return out
		}
	}
}

// skipEvents moves c past every event recorded so far (the setup's).
func (e *env) skipEvents(t testing.TB, key string) *eventCursor {
	t.Helper()
	c := &eventCursor{}
	e.eventsAfter(t, key, c)
	return c
}

// topicsOf lists the events' topics in order.
func topicsOf(evs []eventRow) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, ev.Topic)
	}
	return out
}

// wantTopics asserts the events' topics, in order, and returns the events.
func wantTopics(t testing.TB, evs []eventRow, topics ...string) []eventRow {
	t.Helper()
	if got := topicsOf(evs); !slices.Equal(got, append([]string{}, topics...)) {
		t.Fatalf("events %v, want %v\n%+v", got, topics, evs)
	}
	return evs
}

// wantData asserts fields of an event's data (numbers as JSON numbers, float64).
func wantData(t testing.TB, ev eventRow, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got := ev.Data[k]; !jsonEqual(got, v) {
			t.Errorf("%s: data.%s = %#v, want %#v (data %v)", ev.Topic, k, got, v, ev.Data)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
