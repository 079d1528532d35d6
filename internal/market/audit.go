package market

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// AuditEvent records one state change. Events form a hash chain: each
// carries the hash of the one before it, so an edit made behind the API's
// back breaks the chain at that event.
type AuditEvent struct {
	ID          string          `json:"id"`
	Seq         int64           `json:"seq"`
	ActorUserID string          `json:"actor_user_id"`
	ActorOrgID  string          `json:"actor_org_id"`
	Action      string          `json:"action"`
	Entity      string          `json:"entity"`
	EntityID    string          `json:"entity_id"`
	Before      json.RawMessage `json:"before"`
	After       json.RawMessage `json:"after"`
	At          time.Time       `json:"at"`
	PrevHash    string          `json:"prev_hash"`
	Hash        string          `json:"hash"`
}

// ComputeHash returns the hash of the event's content and its prev_hash.
// Each part is length-prefixed so no two different events can be made to
// produce the same input.
func (e *AuditEvent) ComputeHash() string {
	h := sha256.New()
	for _, part := range []string{
		e.PrevHash, strconv.FormatInt(e.Seq, 10), e.ID, e.ActorUserID, e.ActorOrgID,
		e.Action, e.Entity, e.EntityID, string(e.Before), string(e.After),
		e.At.UTC().Format(time.RFC3339Nano),
	} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditVerification is the answer of GET /audit/verify. SPEC's three
// fields are always present: first_broken_id is null when the trail holds.
// Problem says what broke, in one of the AuditBroken codes.
type AuditVerification struct {
	OK      bool  `json:"ok"`
	Checked int64 `json:"checked"`
	// FirstBrokenID names the first event that no longer holds. When
	// events were cut off the end of the chain it names the last one that
	// survives (the chain breaks after it); it is null when nothing
	// survives or nothing is broken.
	FirstBrokenID *string `json:"first_broken_id"`
	Problem       string  `json:"problem,omitempty"`
}

// What GET /audit/verify found broken.
const (
	// AuditBrokenEvent: the event's content, hash, sequence number or link
	// to the event before it does not hold.
	AuditBrokenEvent = "event"
	// AuditBrokenTruncated: the chain ends before the head says it does;
	// events after first_broken_id were removed.
	AuditBrokenTruncated = "truncated"
	// AuditBrokenHead: the chain is whole but its last event is not the
	// one the head recorded (the head or the last event was rewritten).
	AuditBrokenHead = "head"
	// AuditBrokenSnapshot: the event is a catalog's publish event, and the
	// catalog's frozen items no longer match the digest it recorded.
	AuditBrokenSnapshot = "catalog_snapshot"
)

// Broken marks the verification failed at the event id ("" for none) for
// the reason problem.
func (v *AuditVerification) Broken(id, problem string) {
	v.OK, v.Problem, v.FirstBrokenID = false, problem, nil
	if id != "" {
		v.FirstBrokenID = &id
	}
}

// AuditFilter narrows GET /audit.
type AuditFilter struct {
	Entity   string
	EntityID string
	Page     PageRequest
}

// CanReadAudit says whether the actor may read the audit trail.
func CanReadAudit(a *Actor) error {
	if a != nil && (a.PlatformAdmin || (a.IsGovernment() && a.OrgVerified)) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only platform admins and the science bureau read the audit trail")
}

// AuditService reads and checks the audit trail.
type AuditService interface {
	ListAudit(ctx context.Context, f AuditFilter) (Page[AuditEvent], error)
	VerifyAudit(ctx context.Context) (*AuditVerification, error)
}
