// Package sim drives Hummingbird from outside, as real users would: a simulated city of
// merchants that create and pay orders over the HTTP API and couriers that talk the
// courier WebSocket protocol and ride their legs. `hummingbird demo` runs it against an
// embedded server; `hummingbird sim --faults` runs it through several instances of a
// cluster while internal/faults breaks things. It knows the servers only by URL.
//
// Couriers take their state from the server: hello and snapshot replace what a bot
// believes, order frames and answers update it, and a step is sent again until it is
// answered. The Ledger records, order by order, what the users were told (the payment
// webhook's answer, which couriers won an accept), so a fault run can compare it with
// the database.
//
// Concurrency: Sim.Run owns every goroutine it starts (one per courier bot and its
// socket reader, one merchant loop) and returns only after all have stopped. StopOrders,
// DropSockets, Ledger and Retries are safe to call from other goroutines meanwhile.
package sim
