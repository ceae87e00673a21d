package resolvers

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
)

// Global IDs are base64url("Type:id") (models.GlobalID): opaque to clients, typed for node(id:).
func globalID(typ string, id int64) string { return models.GlobalID(typ, id) }

func parseGlobalID(gid string) (string, int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", 0, false
	}
	typ, num, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, false
	}
	return typ, id, true
}

// inputID reads a global ID of the wanted type from a mutation input. A malformed ID or one of
// another type is refused like a missing object: NOT_FOUND on that input, named in the domain's
// words like every refusal (the input type's map names its field, inputs.go).
func inputID(gid, typ string, input ...string) (int64, error) {
	t, id, ok := parseGlobalID(gid)
	if !ok || t != typ {
		return 0, licensing.Problems{{Input: input, Code: licensing.CodeNotFound, Message: fmt.Sprintf("no such %s", strings.ToLower(typ))}}
	}
	return id, nil
}

// The objects most mutations act on, named as their inputs name them.
func accountRef(gid string) idRef      { return idRef{gid, "Account", "account"} }
func subscriptionRef(gid string) idRef { return idRef{gid, "Subscription", "subscription"} }
func endpointRef(gid string) idRef     { return idRef{gid, "WebhookEndpoint", "endpoint"} }

// optionalInputID is inputID for an optional field.
func optionalInputID(gid *string, typ string, input ...string) (*int64, error) {
	if gid == nil {
		return nil, nil
	}
	id, err := inputID(*gid, typ, input...)
	return &id, err
}

// filterID reads an ID in a query filter: a malformed one matches nothing (id 0 never exists).
func filterID(gid *string, typ string) *int64 {
	if gid == nil {
		return nil
	}
	t, id, ok := parseGlobalID(*gid)
	if !ok || t != typ {
		zero := int64(0)
		return &zero
	}
	return &id
}

const maxPage = 100

// page reads first/after. first is 1..100; a bad value or cursor is a malformed request.
func page(first *int, after *string) (models.Page, error) {
	n, cur, err := pageArgs(first, after, 20, "c:")
	p := models.Page{First: n}
	if err == nil && cur != "" {
		if p.After, err = strconv.ParseInt(cur, 10, 64); err != nil {
			err = errBadCursor()
		}
	}
	return p, err
}

// pageArgs reads first, 1..maxPage (def when absent), and what an after cursor made with prefix
// holds ("" when absent). A bad value or cursor is a malformed request.
func pageArgs(first *int, after *string, def int, prefix string) (int, string, error) {
	n := def
	if first != nil {
		if *first < 1 || *first > maxPage {
			return n, "", errBadInput("first", fmt.Sprintf("first must be between 1 and %d", maxPage))
		}
		n = *first
	}
	if after == nil || *after == "" {
		return n, "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*after)
	cur, ok := strings.CutPrefix(string(raw), prefix)
	if err != nil || !ok || cur == "" {
		return n, "", errBadCursor()
	}
	return n, cur, nil
}

func errBadCursor() error { return errBadInput("after", "after is not a cursor returned by this API") }

// cursor is the cursor of a row of a list ordered by id (or another number).
// It is base64url("c:id"), a global ID's encoding with c for its type (one allocation: a page
// of a thousand subscriptions makes a thousand).
func cursor(id int64) string { return models.GlobalID("c", id) }

// encodeCursor makes an opaque cursor from its kind's prefix and its value, as pageArgs reads it.
func encodeCursor(prefix, value string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + value))
}
