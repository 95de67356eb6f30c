// Package idempotency declares how saved responses for Idempotency-Key requests are kept.
// The api package drives it; adapters under internal/store implement Store and pass the
// conformance suite in internal/store/storetest.
package idempotency

import (
	"context"
	"time"
)

// TTL is how long a saved response is kept for replay (Stripe keeps keys for 24 hours).
const TTL = 24 * time.Hour

// ClaimTTL is how long a claim whose request never finished holds its key. A request
// runs for seconds (forwarded engine calls give up after 10 s); a claim older than this
// belongs to a server that died mid-request, and the key may be claimed again rather than
// answer "in progress" for a day. If the dead request had already written its effect, the
// retry does it again: the key cannot know, and a client that must never double an order
// should check the order list before retrying after minutes.
const ClaimTTL = 2 * time.Minute

// Record is one key's state.
type Record struct {
	// Fingerprint identifies the request (a hash of method, path and body).
	Fingerprint string
	// Done is false while the first request is still running.
	Done bool
	// Status, ContentType and Body are the saved response once Done.
	Status      int
	ContentType string
	Body        []byte
	CreatedAt   time.Time
}

// Store keeps records keyed by (scope, key); scope is the merchant id, so keys never
// collide across merchants. Implementations are safe for concurrent use.
type Store interface {
	// Begin claims the key for a new request. If the key is free (or its record older
	// than TTL at now, or an unfinished claim older than ClaimTTL) it saves an
	// in-progress record and returns claimed = true.
	// Otherwise it returns the existing record and claimed = false. Claiming is atomic:
	// of two concurrent Begins for one key exactly one claims it.
	Begin(ctx context.Context, scope, key, fingerprint string, now time.Time) (rec Record, claimed bool, err error)
	// Finish saves the response of a claimed key.
	Finish(ctx context.Context, scope, key string, rec Record) error
	// Release forgets a claimed, unfinished key so the request can be retried (used when
	// the request failed in a way not worth replaying, such as a 5xx).
	Release(ctx context.Context, scope, key string) error
}
