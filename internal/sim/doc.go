// Package sim drives Hummingbird from outside, as real users would: a simulated city of
// merchants that create and pay orders over the HTTP API and couriers that talk the
// courier WebSocket protocol and ride their legs. `hummingbird demo` runs it against an
// embedded server; it knows the server only by URL.
//
// Concurrency: Run owns every goroutine it starts (one per courier bot, one merchant
// loop) and returns only after all have stopped.
package sim
