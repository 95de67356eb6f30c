// Package courier models the people who carry orders: their identity and kind (franchise
// or crowd), vehicle and capacity, the availability state machine, the GPS plausibility
// filter, and the live spatial Index of online couriers keyed by H3 cell.
//
// Concurrency: Courier, Fix, Filter and State are values with no shared state. Index is
// safe for concurrent use by many goroutines (one RWMutex guards it).
package courier
