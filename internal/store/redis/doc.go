// Package redis holds the Redis (go-redis v9) adapters Hummingbird's server instances
// share: the Bus that fans live frames out between instances, Presence for courier
// positions with a time to live, and Limiter for rate limits that hold across instances.
// Open connects with the timeouts they expect. go-redis is imported as goredis.
//
// Redis may lose everything at any time (a restart without persistence, a failover, a
// FLUSHDB): nothing here is the only copy of anything that matters. Presence refills
// from the couriers' next positions, the limiter starts every key with a full burst, and
// the Bus tells its caller to resynchronise its clients when its subscription was lost.
// docs/redis.md lists the keys and channels, their TTLs and what each loss means.
//
// Every key and channel starts with the configured prefix and a colon, so several
// deployments or parallel tests share one Redis without seeing each other.
//
// # Concurrency contract
//
// Bus, Presence and Limiter are safe for concurrent use by any number of goroutines and
// do no work in the background on their own. The one goroutine of this package is the
// caller's: Bus.Run blocks, owns the subscriber connection, reconnects with backoff and
// calls deliver and OnResubscribe from that goroutine, one at a time; it returns only
// after the connection is closed, when its context is done. The *goredis.Client is the
// caller's to Close, after Run has returned.
package redis
