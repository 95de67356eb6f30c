// Package mdrp is the independent judge of Hummingbird's dispatch quality on MDRPLIB, the
// Meal Delivery Routing Problem instances of Reyes et al. (2018). It reads instances
// ([Load]), writes and reads the three solution files the instance authors' evaluator
// reads ([WriteSolution], [ReadSolution]), checks a solution against every rule of the
// problem ([Check]), computes the published metrics ([Evaluate], [Average]) and reads the
// published result tables ([LoadPublished]).
//
// The package imports nothing from the rest of the module on purpose: it must not share
// code, and so cannot share a bug, with the dispatcher it judges.
//
// # Rules
//
// [Check] is stricter than the authors' evaluator, which only asks that a courier be at
// the place at the event time (so legs a minute or two shorter than the instance rule
// slip through inside the service times) and lets a courier start a new pickup before
// its earlier drop-offs are done. Every violation carries a stable rule name (the Rule*
// constants). The timing model:
//
//   - Travel between two points takes ceil(euclidean metres / meters_per_minute) whole
//     minutes, computed exactly in integers ([Instance.Travel]).
//   - Each courier's moves form a chain: the first departs from "0" (its start point) at
//     or after its on time; each later move departs from where the previous one arrived,
//     no earlier than that arrival (no diversion). The time between an arrival and the
//     next departure is the courier's stop at that place.
//   - A pickup or drop-off is an event at a stop: the event time lies at least half the
//     service time after the arrival and at least half before the next departure. With
//     whole minutes and an odd service time, "half" means the half rounded up (the
//     comparison is 2×gap ≥ service).
//   - A bundle (one assignment) holds orders of one restaurant, all picked up at the
//     assignment's pickup time, which is no earlier than the assignment time, the ready
//     time of every order in it, and the courier's on time, and no later than its off
//     time. Its orders are dropped in the listed sequence, each at a later stop.
//   - The dispatcher is online: an assignment is made no earlier than the placement of
//     each of its orders, and the move into the restaurant for a bundle departs at or
//     after the assignment time, unless the courier had already arrived there by then.
//   - A courier carries one bundle at a time: the pickup of its next bundle (by pickup
//     order) happens at a stop after the stop of the last drop-off of the previous one.
//   - The solution files agree with each other and with the instance: ids exist, each
//     delivered order is in exactly one assignment, its courier and pickup time match that
//     assignment, its placement and ready columns match the instance, and every assigned
//     order is delivered. Undelivered orders are simply absent from both files.
//
// # Maximum click-to-door
//
// The instance's maximum click-to-door (90 minutes) is not a feasibility rule here: the
// problem statement does not make it hard and the authors' evaluator does not check it.
// An order dropped later than that is delivered, counts in every metric like any other,
// and is counted in [Metrics.OverMaxCtD] so reports can show it.
//
// # Percentiles
//
// Percentiles (the p90 and p10 of [Metrics]) interpolate linearly between closest ranks,
// as numpy's and pandas' defaults do (and so the authors' evaluator): for n sorted values
// v[0..n-1] the q-th quantile is at rank h = q×(n−1), v[⌊h⌋] + (h−⌊h⌋)×(v[⌊h⌋+1]−v[⌊h⌋]).
//
// # Concurrency
//
// Functions hold no package state and may be called concurrently. An [Instance] is never
// modified by this package after [Load] returns, so one instance may be read by many
// goroutines at once; a caller that changes its fields must not share it meanwhile.
package mdrp
