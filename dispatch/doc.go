// Package dispatch is Hummingbird's heart: the order lifecycle and its event log, offers,
// the dispatch policy (franchise first, crowd broadcast with escalation), batched min-cost
// matching, bundling and the per-order dispatch trace.
//
// The Engine is driven by an injected Clock: the server calls Run, which ticks on the wall
// clock; the simulator and the benchmark call Tick with virtual time. It is the same code
// either way.
//
// Concurrency: every Engine method is safe for concurrent use. One mutex serialises the
// engine's dispatch state (queue, offers, courier sessions); order writes to the Store are
// conditional on the order's version, so two writers can never both win. Notifier methods
// are called with that mutex held and must not block or call back into the Engine.
package dispatch
