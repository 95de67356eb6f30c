// Package realtime is the WebSocket connection layer and topic fan-out hub.
//
// It knows no domain types: a topic is a string and a payload is a []byte
// that is sent to the peer as one text frame. Encoding and authorisation
// belong to the callers.
//
// # Concurrency contract
//
// A [Conn] owns exactly two goroutines, a reader and a writer. Both are
// started by [Conn.Serve] and Serve does not return until both have exited
// and the underlying network connection is closed; Serve's caller is
// therefore the owner of everything a Conn runs. A Conn stops, exactly once,
// for the first of these reasons: the peer closes or the network fails, a
// read or write deadline passes (missing pong), the peer sends an oversized
// or binary frame, the send queue overflows, [Conn.Close] is called, or the
// context given to Serve is done. [Conn.Done] is closed when Serve returns.
//
// [Conn.Send] never blocks: it copies nothing and places the payload on a
// bounded queue drained by the writer goroutine. When the queue is full the
// peer is a slow consumer: the connection is closed with 1008 "slow consumer"
// and dropped rather than waited on. [Conn.Send] and [Conn.Close] are safe
// from any goroutine, including from inside the onMessage callback, which
// runs on the reader goroutine, one message at a time, in arrival order.
//
// A [Hub] spawns no goroutines. It maps topics to [Subscriber]s and tracks
// registered Conns for [Hub.CloseAll]. Removal is the caller's job and
// nothing leaks if it is done the canonical way:
//
//	c := realtime.NewConn(ws, cfg)
//	defer hub.Register(c)()            // for CloseAll and Conns
//	defer hub.Subscribe("topic", c)()  // for Publish
//	err := c.Serve(ctx, onMessage)     // blocks until both goroutines exit
//
// In addition, [Hub.Publish] unsubscribes any Subscriber whose Send fails,
// so a stopped Conn stops costing publishers even before its unsubscribe
// function runs. All Hub methods are safe for concurrent use.
//
// Payloads passed to Send or Publish are queued by reference: callers must
// not modify them afterwards.
package realtime
