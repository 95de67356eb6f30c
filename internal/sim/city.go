package sim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// City is the simulated world: a service area, franchise stations and shops.
type City struct {
	Name     string
	Centre   geo.LatLng
	Area     geo.Polygon
	Stations []StationSpec
	Shops    []Shop
}

// StationSpec is a franchise station and its zone.
type StationSpec struct {
	Name string
	Zone geo.Polygon
	Base geo.LatLng
}

// Shop is a merchant's counter.
type Shop struct {
	Name     string
	Category string
	Pos      geo.LatLng
	// Prep is the typical preparation time in minutes.
	Prep int
}

// rect returns the rectangle between two corners.
func rect(south, west, north, east float64) geo.Polygon {
	return geo.Polygon{{Lat: south, Lng: west}, {Lat: south, Lng: east}, {Lat: north, Lng: east}, {Lat: north, Lng: west}}
}

// Paris returns central Paris: the service area spans the inner arrondissements; two
// franchise stations split the centre west and east of Hôtel de Ville (48.8566, 2.3522);
// shops lie around them and, for the crowd's long tail, outside both zones.
func Paris(seed uint64) City {
	c := City{
		Name:   "Paris",
		Centre: geo.LatLng{Lat: 48.8566, Lng: 2.3522},
		Area:   rect(48.830, 2.300, 48.885, 2.405),
		Stations: []StationSpec{
			{Name: "Saint-Germain", Zone: rect(48.842, 2.318, 48.868, 2.3515), Base: geo.LatLng{Lat: 48.8539, Lng: 2.3338}},
			{Name: "Marais", Zone: rect(48.842, 2.3525, 48.868, 2.385), Base: geo.LatLng{Lat: 48.8590, Lng: 2.3620}},
		},
	}
	kinds := []struct {
		category string
		names    []string
		prep     int
	}{
		{"restaurant", []string{"Chez Lulu", "Le Petit Zinc", "Bistro Marcel", "Pho Saigon", "Trattoria Nonna", "Burger Bastille", "Sushi Seine", "Falafel Rosiers"}, 12},
		{"grocery", []string{"Épicerie Verte", "Marché Express", "Bio Corner", "Fromagerie Anne"}, 6},
		{"bakery", []string{"Boulangerie Poilâne-ish", "Pain & Co", "Croissant Royal"}, 4},
		{"pharmacy", []string{"Pharmacie du Pont", "Pharmacie Centrale"}, 3},
		{"florist", []string{"Fleurs de Lune", "Atelier Pivoine"}, 8},
		{"laundry", []string{"Lavoir Moderne", "Pressing Étoile"}, 15},
		{"supermarket", []string{"SuperU Rivoli", "City Market Odéon", "Franprix Temple"}, 8},
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	i := 0
	for _, k := range kinds {
		for _, n := range k.names {
			// Most shops sit within 2.2 km of the centre (inside a station zone); every
			// fifth lies further out, where only the crowd goes.
			r := 300 + rng.Float64()*1900
			if i%5 == 4 {
				r = 2600 + rng.Float64()*900
			}
			a := rng.Float64() * 6.283185307179586
			p := geo.Offset(c.Centre, r*math.Sin(a)*0.7, r*math.Cos(a))
			c.Shops = append(c.Shops, Shop{Name: n, Category: k.category, Pos: p, Prep: k.prep})
			i++
		}
	}
	return c
}

// Dropoff returns a random customer address within maxM metres of p inside the area.
func (c City) Dropoff(rng *rand.Rand, p geo.LatLng, maxM float64) geo.LatLng {
	lo, hi := c.Area[0], c.Area[0]
	for _, v := range c.Area {
		lo.Lat, lo.Lng, hi.Lat, hi.Lng = min(lo.Lat, v.Lat), min(lo.Lng, v.Lng), max(hi.Lat, v.Lat), max(hi.Lng, v.Lng)
	}
	for range 50 {
		q := geo.Offset(p, (rng.Float64()*2-1)*maxM, (rng.Float64()*2-1)*maxM)
		if q.Lat > lo.Lat && q.Lat < hi.Lat && q.Lng > lo.Lng && q.Lng < hi.Lng && geo.Distance(p, q) > 200 {
			return q
		}
	}
	return p
}

// String describes the city in one line.
func (c City) String() string {
	return fmt.Sprintf("%s: %d stations, %d shops", c.Name, len(c.Stations), len(c.Shops))
}
