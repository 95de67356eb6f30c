package geo

import (
	"encoding/json"
	"errors"
	"maps"
	"testing"
)

func mustCell(t *testing.T, p LatLng, res int) Cell {
	t.Helper()
	c, err := CellOf(p, res)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pentagon is a resolution-9 pentagon (base cell 4), the case H3 rings handle specially.
const pentagon = "89080000003ffff"

func TestCellOf(t *testing.T) {
	for _, res := range []int{0, HeatRes, IndexRes, 15} {
		c := mustCell(t, paris, res)
		if !c.Valid() || c.Res() != res {
			t.Errorf("CellOf(paris, %d) = %v: valid=%v res=%d", res, c, c.Valid(), c.Res())
		}
		if back := mustCell(t, c.Center(), res); back != c {
			t.Errorf("res %d: the centre of %v lies in %v", res, c, back)
		}
	}
	ic, err := IndexCell(paris)
	if err != nil || ic != mustCell(t, paris, IndexRes) {
		t.Errorf("IndexCell(paris) = %v, %v", ic, err)
	}
	if _, err := CellOf(LatLng{Lat: 91}, IndexRes); !errors.Is(err, ErrLatitude) {
		t.Errorf("CellOf(lat 91) error = %v, want ErrLatitude", err)
	}
	for _, res := range []int{-1, 16} {
		if _, err := CellOf(paris, res); !errors.Is(err, ErrH3) {
			t.Errorf("CellOf(res %d) error = %v, want ErrH3", res, err)
		}
	}
	if Cell(0).Valid() {
		t.Error("the zero Cell is valid")
	}
}

func TestCellParent(t *testing.T) {
	c := mustCell(t, paris, IndexRes)
	p, err := c.Parent(HeatRes)
	if err != nil || p.Res() != HeatRes || !p.Valid() {
		t.Fatalf("Parent(HeatRes) = %v, %v", p, err)
	}
	if d := Distance(c.Center(), p.Center()); d > 1000 {
		t.Errorf("parent centre %.0f m from child centre", d)
	}
	if _, err := c.Parent(IndexRes + 1); !errors.Is(err, ErrH3) {
		t.Errorf("Parent(finer) error = %v, want ErrH3", err)
	}
}

func TestParseCell(t *testing.T) {
	c := mustCell(t, paris, IndexRes)
	got, err := ParseCell(c.String())
	if err != nil || got != c {
		t.Errorf("ParseCell(%q) = %v, %v", c.String(), got, err)
	}
	for _, s := range []string{"", "0", "zz", "not a cell", "ffffffffffffffff", "8a", c.String() + "0"} {
		if _, err := ParseCell(s); !errors.Is(err, ErrInvalidCell) {
			t.Errorf("ParseCell(%q) error = %v, want ErrInvalidCell", s, err)
		}
	}
	// JSON uses the hexadecimal text form.
	type doc struct{ C Cell }
	b, err := json.Marshal(doc{c})
	if err != nil || string(b) != `{"C":"`+c.String()+`"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.C != c {
		t.Errorf("Unmarshal = %v, %v", back.C, err)
	}
	if err := json.Unmarshal([]byte(`{"C":"nope"}`), &back); !errors.Is(err, ErrInvalidCell) {
		t.Errorf("Unmarshal(nope) error = %v, want ErrInvalidCell", err)
	}
}

func TestRings(t *testing.T) {
	pent, err := ParseCell(pentagon)
	if err != nil {
		t.Fatal(err)
	}
	for _, origin := range []Cell{mustCell(t, paris, IndexRes), mustCell(t, LatLng{-33.87, 151.21}, IndexRes), pent} {
		const maxK = 6
		union := map[Cell]bool{}
		next := 0
		for k, ring := range origin.Rings(maxK) {
			if k != next {
				t.Fatalf("%v: ring %d yielded after %d", origin, k, next-1)
			}
			next++
			if len(ring) == 0 {
				t.Fatalf("%v: ring %d is empty", origin, k)
			}
			if origin != pent && k > 0 && len(ring) != 6*k {
				t.Errorf("%v: ring %d has %d cells, want %d", origin, k, len(ring), 6*k)
			}
			for _, c := range ring {
				if d, err := GridDistance(origin, c); err != nil || d != k {
					t.Errorf("%v: ring %d holds %v at grid distance %d (%v)", origin, k, c, d, err)
				}
				if union[c] {
					t.Errorf("%v: %v in two rings", origin, c)
				}
				union[c] = true
			}
			disk, err := origin.Disk(k)
			if err != nil {
				t.Fatal(err)
			}
			if disk[0] != origin {
				t.Errorf("%v: Disk(%d) starts with %v", origin, k, disk[0])
			}
			if !maps.Equal(union, setOf(disk)) {
				t.Errorf("%v: rings 0..%d hold %d cells, Disk(%d) %d", origin, k, len(union), k, len(disk))
			}
		}
		if next != maxK+1 {
			t.Errorf("%v: Rings(%d) yielded %d rings", origin, maxK, next)
		}
	}
	if r, _ := pent.Ring(1); len(r) != 5 {
		t.Errorf("pentagon ring 1 has %d cells, want 5", len(r))
	}

	// Breaking out stops the iteration.
	seen := 0
	for k := range mustCell(t, paris, IndexRes).Rings(MaxRings) {
		seen++
		if k == 2 {
			break
		}
	}
	if seen != 3 {
		t.Errorf("break after ring 2: saw %d rings", seen)
	}
	if r, err := Cell(0).Ring(1); err == nil && len(r) != 0 {
		t.Errorf("Ring of the zero cell = %v", r)
	}
}

func setOf(cs []Cell) map[Cell]bool {
	m := make(map[Cell]bool, len(cs))
	for _, c := range cs {
		m[c] = true
	}
	return m
}
