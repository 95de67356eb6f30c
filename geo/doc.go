// Package geo holds Hummingbird's geography: validated coordinates, our own H3 Cell type,
// ring search outward from a cell, great-circle distance, travel-time models and service
// areas turned into cell sets.
//
// It is the only package that imports h3-go, so cgo stays here. Every function is safe for
// concurrent use; the only values with state are CellSet (read-only after construction)
// and the caches a caller builds on top.
package geo
