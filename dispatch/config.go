package dispatch

import (
	"fmt"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Config tunes the engine. Zero values take the defaults in brackets.
type Config struct {
	// Round is the time between dispatch rounds [2s].
	Round time.Duration
	// OfferTTL is how long a franchise courier has to confirm an assignment [30s].
	OfferTTL time.Duration
	// CrowdOfferTTL is how long a broadcast offer stays open [45s].
	CrowdOfferTTL time.Duration
	// FranchiseWindow is how long a station's couriers have an order before the crowd
	// sees it, unless the station sets its own [90s].
	FranchiseWindow time.Duration
	// CrowdStartRings is the first broadcast radius in H3 rings [3].
	CrowdStartRings int
	// CrowdRingStep widens the broadcast at each escalation step [2].
	CrowdRingStep int
	// CrowdMaxRings caps the broadcast radius; reaching it alerts operators [geo.MaxRings].
	CrowdMaxRings int
	// CrowdStep is the time between escalation steps [30s].
	CrowdStep time.Duration
	// CrowdMaxOffers caps the couriers one broadcast step reaches [50].
	CrowdMaxOffers int
	// BonusStepCents is added to the courier fee at each escalation step [50].
	BonusStepCents int64
	// PaymentTimeout is how long an order may wait for payment before it expires [15m].
	PaymentTimeout time.Duration
	// Candidates is how many nearest couriers each job considers per round [12].
	Candidates int
	// MaxPickupTravel excludes couriers further than this from the pickup [25m].
	MaxPickupTravel time.Duration
	// MaxBundle caps the orders in one bundle; the courier's capacity caps it too [4].
	MaxBundle int
	// BundleWindow is the largest gap inside one bundle between when its orders' goods
	// can be collected: the ready time, or now for goods already waiting [20m]. It only
	// bounds the search: an order joins a trip when that costs less than its own match.
	BundleWindow time.Duration
	// PrebundleLead: when a station has more orders due within ChainHorizon than couriers
	// able to start a trip, its orders whose goods are ready within PrebundleLead are
	// joined by shop into bundles before the assignment, as many per bundle as there are
	// orders per courier, up to MaxBundle [10m].
	PrebundleLead time.Duration
	// DefaultPrep is the preparation time when an order gives no ready time [10m].
	DefaultPrep time.Duration
	// PromiseSlack is added to the estimated delivery time to make the promise [10m].
	PromiseSlack time.Duration
	// ServiceTime is spent at each pickup, half before the goods change hands and half
	// after [2m].
	ServiceTime time.Duration
	// DropoffTime is spent at each drop-off, likewise split [ServiceTime].
	DropoffTime time.Duration
	// MaxDistanceM is the longest pickup→drop-off distance accepted [15000].
	MaxDistanceM float64
	// BaseFeeCents and FeePerKmCents make the delivery fee [250, 80].
	BaseFeeCents, FeePerKmCents int64
	// CourierShare is the courier's share of the fee, in percent [80].
	CourierShare int64
	// Travel estimates trip times [geo.Detour{}].
	Travel geo.TravelModel
	// CommitLead is how far ahead a planned match is committed: the round offers a job
	// only when its courier must set off within CommitLead to reach the shop by the ready
	// time; other matches are planned again next round, with whatever changed [1m].
	CommitLead time.Duration
	// ChainHorizon lets a courier still on a trip be planned for a next one if it will be
	// free within this time; the next trip starts where its last drop-off ends [20m].
	ChainHorizon time.Duration
	// Weights of the matching cost, in seconds of cost per second of each term (the
	// courier's travel to the shop counts 1): courier idle wait at the shop [2], each
	// order's delay over its fastest possible delivery [8], and lateness against the
	// promise [3].
	WaitWeight, DelayWeight, LateWeight float64
	// CentralityWeight prices a courier's reach to the shop against its mean reach to the
	// round's other shops, in seconds of cost per second of that mean: sending a courier
	// who is central to the round's demand costs more than sending one at its edge [2].
	CentralityWeight float64
	// TraceOrders is how many orders' dispatch traces are kept [10000].
	TraceOrders int
}

func (c Config) withDefaults() Config {
	setD := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	setI := func(p *int, d int) {
		if *p == 0 {
			*p = d
		}
	}
	setF := func(p *float64, d float64) {
		if *p == 0 {
			*p = d
		}
	}
	setD(&c.Round, 2*time.Second)
	setD(&c.OfferTTL, 30*time.Second)
	setD(&c.CrowdOfferTTL, 45*time.Second)
	setD(&c.FranchiseWindow, 90*time.Second)
	setI(&c.CrowdStartRings, 3)
	setI(&c.CrowdRingStep, 2)
	setI(&c.CrowdMaxRings, geo.MaxRings)
	setD(&c.CrowdStep, 30*time.Second)
	setI(&c.CrowdMaxOffers, 50)
	if c.BonusStepCents == 0 {
		c.BonusStepCents = 50
	}
	setD(&c.PaymentTimeout, 15*time.Minute)
	setI(&c.Candidates, 12)
	setD(&c.MaxPickupTravel, 25*time.Minute)
	setI(&c.MaxBundle, 4)
	setD(&c.BundleWindow, 20*time.Minute)
	setD(&c.PrebundleLead, 10*time.Minute)
	setD(&c.DefaultPrep, 10*time.Minute)
	setD(&c.PromiseSlack, 10*time.Minute)
	setD(&c.ServiceTime, 2*time.Minute)
	setD(&c.DropoffTime, c.ServiceTime)
	setF(&c.MaxDistanceM, 15000)
	if c.BaseFeeCents == 0 {
		c.BaseFeeCents = 250
	}
	if c.FeePerKmCents == 0 {
		c.FeePerKmCents = 80
	}
	if c.CourierShare == 0 {
		c.CourierShare = 80
	}
	if c.Travel == nil {
		c.Travel = geo.Detour{}
	}
	setD(&c.CommitLead, time.Minute)
	setD(&c.ChainHorizon, 20*time.Minute)
	setF(&c.WaitWeight, 2)
	setF(&c.DelayWeight, 8)
	setF(&c.LateWeight, 3)
	setF(&c.CentralityWeight, 2)
	setI(&c.TraceOrders, 10000)
	return c
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Round < 0 || c.OfferTTL < 0 || c.CrowdOfferTTL < 0 || c.FranchiseWindow < 0 || c.CrowdStep < 0 || c.PaymentTimeout < 0:
		return fmt.Errorf("%w: durations must be positive", ErrInvalid)
	case c.CrowdStartRings < 0 || c.CrowdMaxRings > geo.MaxRings || c.CrowdStartRings > c.CrowdMaxRings:
		return fmt.Errorf("%w: crowd rings must satisfy 0 ≤ start ≤ max ≤ %d", ErrInvalid, geo.MaxRings)
	case c.MaxBundle < 1 || c.Candidates < 1:
		return fmt.Errorf("%w: bundle size and candidates must be at least 1", ErrInvalid)
	}
	return nil
}
