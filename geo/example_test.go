package geo_test

import (
	"fmt"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

func ExampleCellOf() {
	paris := geo.LatLng{Lat: 48.8566, Lng: 2.3522}
	c, err := geo.CellOf(paris, geo.IndexRes)
	if err != nil {
		panic(err)
	}
	fmt.Println(c, c.Res())
	// Output: 891fb466257ffff 9
}

func ExampleCell_Rings() {
	c, err := geo.IndexCell(geo.LatLng{Lat: 48.8566, Lng: 2.3522})
	if err != nil {
		panic(err)
	}
	for k, ring := range c.Rings(3) {
		fmt.Printf("ring %d: %d cells\n", k, len(ring))
	}
	// Output:
	// ring 0: 1 cells
	// ring 1: 6 cells
	// ring 2: 12 cells
	// ring 3: 18 cells
}
