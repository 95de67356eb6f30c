package mdrp

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
)

// Point is a planar position in metres from the instance's reference point.
type Point struct{ X, Y int }

// Params are the instance parameters (instance_parameters.txt).
type Params struct {
	MetersPerMinute int // travel speed
	PickupService   int // minutes of service per bundle pickup, half before and half after
	DropoffService  int // minutes of service per order drop-off, half before and half after
	TargetCtD       int // target click-to-door minutes (overage is measured against it)
	MaxCtD          int // maximum click-to-door minutes (not a feasibility rule; see package doc)
	PayPerOrder     float64
	PayPerHour      float64 // guaranteed pay per shift hour
}

// Order is one customer order.
type Order struct {
	ID         string
	Customer   Point // where it is dropped off
	Placement  int   // minute the order is placed (becomes known)
	Restaurant string
	Ready      int // minute the food is ready for pickup
}

// Restaurant is one pickup place.
type Restaurant struct {
	ID string
	At Point
}

// Courier is one courier shift.
type Courier struct {
	ID      string
	Start   Point // where the shift starts (origin "0" of its first move)
	On, Off int   // shift start and end minutes
}

// Instance is one MDRPLIB instance. Its slices keep file order; the lookup methods find
// entries by id. Ids are unique across orders, restaurants and couriers, and none is "0".
type Instance struct {
	Name        string // base name of the instance folder, e.g. "0o50t100s1p100"
	Params      Params
	Orders      []Order
	Restaurants []Restaurant
	Couriers    []Courier

	orderIdx      map[string]int
	restaurantIdx map[string]int
	courierIdx    map[string]int
}

// StartPlace is the place name of a courier's start point in the couriers solution file.
const StartPlace = "0"

// maxCoord bounds coordinates and speed so that Travel's integer arithmetic cannot
// overflow.
const maxCoord = 1_000_000_000

// Instance file names and their layouts.
var (
	ordersSpec = tableSpec{
		header:  []string{"order", "x", "y", "placement_time", "restaurant", "ready_time"},
		minCols: 6, maxCols: 6,
	}
	restaurantsSpec = tableSpec{header: []string{"restaurant", "x", "y"}, minCols: 3, maxCols: 3}
	couriersSpec    = tableSpec{
		header:  []string{"courier", "x", "y", "on_time", "off_time"},
		minCols: 5, maxCols: 5,
	}
	paramsSpec = tableSpec{
		header: []string{"meters_per_minute", "pickup service minutes", "dropoff service minutes",
			"target click-to-door", "maximum click-to-door", "pay per order", "guaranteed pay per hour"},
		tabHeader: true,
		minCols:   7, maxCols: 7,
	}
)

// Load reads the instance in dir (orders.txt, restaurants.txt, couriers.txt,
// instance_parameters.txt) and validates it strictly: exact headers, column counts,
// whole-number fields, unique ids, known restaurants, ready ≥ placement ≥ 0,
// off > on ≥ 0, a positive speed and non-negative service times. Errors are
// *FileError values naming the file and line.
func Load(dir string) (*Instance, error) {
	in := &Instance{
		Name:          filepath.Base(filepath.Clean(dir)),
		orderIdx:      map[string]int{},
		restaurantIdx: map[string]int{},
		courierIdx:    map[string]int{},
	}
	ids := map[string]string{} // id -> file:line where first seen
	if err := in.loadParams(filepath.Join(dir, "instance_parameters.txt")); err != nil {
		return nil, err
	}
	if err := in.loadRestaurants(filepath.Join(dir, "restaurants.txt"), ids); err != nil {
		return nil, err
	}
	if err := in.loadOrders(filepath.Join(dir, "orders.txt"), ids); err != nil {
		return nil, err
	}
	if err := in.loadCouriers(filepath.Join(dir, "couriers.txt"), ids); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *Instance) loadParams(path string) error {
	t, err := readTable(path, paramsSpec)
	if err != nil {
		return err
	}
	if len(t.rows) != 1 {
		return &FileError{File: path, Err: fmt.Errorf("%d data rows, want 1", len(t.rows))}
	}
	c := t.cells(t.rows[0])
	p := Params{
		MetersPerMinute: c.int(0, "meters_per_minute"),
		PickupService:   c.int(1, "pickup service minutes"),
		DropoffService:  c.int(2, "dropoff service minutes"),
		TargetCtD:       c.int(3, "target click-to-door"),
		MaxCtD:          c.int(4, "maximum click-to-door"),
		PayPerOrder:     c.float(5, "pay per order"),
		PayPerHour:      c.float(6, "guaranteed pay per hour"),
	}
	switch {
	case c.err != nil:
		return c.err
	case p.MetersPerMinute <= 0 || p.MetersPerMinute > maxCoord:
		return c.errf("meters_per_minute %d must be in 1..%d", p.MetersPerMinute, maxCoord)
	case p.PickupService < 0 || p.DropoffService < 0:
		return c.errf("service minutes must not be negative")
	case p.TargetCtD <= 0 || p.MaxCtD < p.TargetCtD:
		return c.errf("need 0 < target click-to-door (%d) <= maximum (%d)", p.TargetCtD, p.MaxCtD)
	case p.PayPerOrder < 0 || p.PayPerHour < 0:
		return c.errf("pay must not be negative")
	}
	in.Params = p
	return nil
}

// eachRow reads the table at path and calls f with the cells and the id (field 0) of
// each data row, after checking that the id is usable and new, and recording it in ids
// (id -> file:line of its first use).
func eachRow(path string, spec tableSpec, ids map[string]string, f func(c *cells, id string) error) error {
	return eachCells(path, spec, func(c *cells) error {
		id := c.r.fields[0]
		if id == StartPlace {
			return c.errf("id %q is reserved for a courier's start point", id)
		}
		if prev, ok := ids[id]; ok {
			return c.errf("duplicate id %q (first at %s)", id, prev)
		}
		ids[id] = path + ":" + strconv.Itoa(c.r.line)
		return f(c, id)
	})
}

func (in *Instance) loadRestaurants(path string, ids map[string]string) error {
	return eachRow(path, restaurantsSpec, ids, func(c *cells, id string) error {
		at := c.point(1)
		if c.err != nil {
			return c.err
		}
		in.restaurantIdx[id] = len(in.Restaurants)
		in.Restaurants = append(in.Restaurants, Restaurant{ID: id, At: at})
		return nil
	})
}

func (in *Instance) loadOrders(path string, ids map[string]string) error {
	return eachRow(path, ordersSpec, ids, func(c *cells, id string) error {
		o := Order{ID: id, Customer: c.point(1), Placement: c.int(3, "placement_time"), Restaurant: c.r.fields[4], Ready: c.int(5, "ready_time")}
		switch _, known := in.restaurantIdx[o.Restaurant]; {
		case c.err != nil:
			return c.err
		case !known:
			return c.errf("order %s: unknown restaurant %q", id, o.Restaurant)
		case o.Placement < 0:
			return c.errf("order %s: negative placement_time %d", id, o.Placement)
		case o.Ready < o.Placement:
			return c.errf("order %s: ready_time %d before placement_time %d", id, o.Ready, o.Placement)
		}
		in.orderIdx[id] = len(in.Orders)
		in.Orders = append(in.Orders, o)
		return nil
	})
}

func (in *Instance) loadCouriers(path string, ids map[string]string) error {
	return eachRow(path, couriersSpec, ids, func(c *cells, id string) error {
		k := Courier{ID: id, Start: c.point(1), On: c.int(3, "on_time"), Off: c.int(4, "off_time")}
		switch {
		case c.err != nil:
			return c.err
		case k.On < 0 || k.Off <= k.On:
			return c.errf("courier %s: need 0 <= on_time (%d) < off_time (%d)", id, k.On, k.Off)
		}
		in.courierIdx[id] = len(in.Couriers)
		in.Couriers = append(in.Couriers, k)
		return nil
	})
}

// Order returns the order with the given id.
func (in *Instance) Order(id string) (Order, bool) {
	i, ok := in.orderIdx[id]
	if !ok {
		return Order{}, false
	}
	return in.Orders[i], true
}

// Restaurant returns the restaurant with the given id.
func (in *Instance) Restaurant(id string) (Restaurant, bool) {
	i, ok := in.restaurantIdx[id]
	if !ok {
		return Restaurant{}, false
	}
	return in.Restaurants[i], true
}

// Courier returns the courier with the given id.
func (in *Instance) Courier(id string) (Courier, bool) {
	i, ok := in.courierIdx[id]
	if !ok {
		return Courier{}, false
	}
	return in.Couriers[i], true
}

// place resolves a place name of the couriers solution file for courier c: "0" is c's
// start point, otherwise an order id (its customer) or a restaurant id.
func (in *Instance) place(c Courier, name string) (Point, bool) {
	if name == StartPlace {
		return c.Start, true
	}
	if o, ok := in.Order(name); ok {
		return o.Customer, true
	}
	if r, ok := in.Restaurant(name); ok {
		return r.At, true
	}
	return Point{}, false
}

// Travel is the travel time from a to b in whole minutes: the euclidean distance in
// metres divided by MetersPerMinute, rounded up. It is computed exactly in integers (the
// smallest t with (t×speed)² ≥ dx²+dy²), so exact multiples of the speed never gain a
// minute from rounding error and long legs never lose one; it is exact while the
// coordinate differences and the speed stay within the ranges Load accepts.
func (in *Instance) Travel(a, b Point) int {
	return travel(a, b, in.Params.MetersPerMinute)
}

func travel(a, b Point, mpm int) int {
	dx, dy, v := int64(a.X-b.X), int64(a.Y-b.Y), int64(mpm)
	d2 := dx*dx + dy*dy
	if d2 == 0 {
		return 0
	}
	// Start from the integer square root and correct it, then divide rounding up.
	r := isqrt(d2) // r² ≤ d2 < (r+1)²
	if r*r < d2 {
		r++ // ceil(sqrt(d2)): smallest r with r² ≥ d2
	}
	// Smallest t with t×v ≥ sqrt(d2) is the smallest t with t×v ≥ r, because t×v is an
	// integer and sqrt(d2) ≤ r < sqrt(d2)+1.
	return int((r + v - 1) / v)
}

// isqrt returns the largest r with r² ≤ n, for 0 ≤ n.
func isqrt(n int64) int64 {
	r := int64(math.Sqrt(float64(n)))
	for r*r > n {
		r--
	}
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}
