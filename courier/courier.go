package courier

import (
	"errors"
	"fmt"
	"time"
)

// Validation errors.
var (
	ErrKind     = errors.New("courier: unknown kind")
	ErrVehicle  = errors.New("courier: unknown vehicle")
	ErrCapacity = errors.New("courier: capacity out of range")
	ErrStation  = errors.New("courier: franchise courier needs a station, crowd courier must have none")
	ErrName     = errors.New("courier: name must be 1-100 characters")
)

// Kind says who dispatches a courier.
type Kind string

// Courier kinds.
const (
	// Franchise couriers belong to a station and are assigned by the system; they confirm.
	Franchise Kind = "franchise"
	// Crowd couriers are freelancers who grab broadcast orders.
	Crowd Kind = "crowd"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Franchise || k == Crowd }

// Vehicle is how a courier moves.
type Vehicle string

// Vehicles.
const (
	Foot    Vehicle = "foot"
	Bicycle Vehicle = "bicycle"
	Scooter Vehicle = "scooter"
	Car     Vehicle = "car"
)

// vehicleSpecs holds the speed in metres per second and the default capacity in orders.
// Speeds are typical urban averages including stops: foot 5 km/h, bicycle 15 km/h,
// scooter 22 km/h, car 20 km/h (cars lose to scooters in dense traffic and parking).
var vehicleSpecs = map[Vehicle]struct {
	speed    float64
	capacity int
}{
	Foot:    {5 / 3.6, 2},
	Bicycle: {15 / 3.6, 3},
	Scooter: {22 / 3.6, 4},
	Car:     {20 / 3.6, 6},
}

// MaxCapacity is the most orders any courier may carry at once.
const MaxCapacity = 10

// Valid reports whether v is a known vehicle.
func (v Vehicle) Valid() bool { _, ok := vehicleSpecs[v]; return ok }

// Speed returns the vehicle's average urban speed in metres per second (0 if unknown).
func (v Vehicle) Speed() float64 { return vehicleSpecs[v].speed }

// DefaultCapacity returns how many orders the vehicle carries by default.
func (v Vehicle) DefaultCapacity() int { return vehicleSpecs[v].capacity }

// Courier is a registered courier.
type Courier struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Kind      Kind      `json:"kind"`
	StationID string    `json:"station_id,omitempty"`
	Vehicle   Vehicle   `json:"vehicle"`
	Capacity  int       `json:"capacity"`
	CreatedAt time.Time `json:"created_at"`
	// TokenHash is the hex SHA-256 of the courier's bearer token; the token itself is
	// shown once at creation and never stored.
	TokenHash string `json:"-"`
}

// Normalize fills defaults (capacity from the vehicle) and validates c.
func (c *Courier) Normalize() error {
	if n := len([]rune(c.Name)); n < 1 || n > 100 {
		return ErrName
	}
	if !c.Kind.Valid() {
		return fmt.Errorf("%w: %q", ErrKind, c.Kind)
	}
	if c.Vehicle == "" {
		c.Vehicle = Bicycle
	}
	if !c.Vehicle.Valid() {
		return fmt.Errorf("%w: %q", ErrVehicle, c.Vehicle)
	}
	if c.Capacity == 0 {
		c.Capacity = c.Vehicle.DefaultCapacity()
	}
	if c.Capacity < 1 || c.Capacity > MaxCapacity {
		return fmt.Errorf("%w: %d not in 1..%d", ErrCapacity, c.Capacity, MaxCapacity)
	}
	if (c.Kind == Franchise) != (c.StationID != "") {
		return ErrStation
	}
	return nil
}
