package mdrp

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// characteristics reads the counts of an instance_characteristics.txt.
func characteristics(t *testing.T, path string) map[string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			got[strings.TrimSpace(name)] = v
		}
	}
	return got
}

func TestLoadEveryInstance(t *testing.T) {
	dirs := instanceDirs(t)
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			in, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if in.Name != name {
				t.Errorf("Name = %q, want %q", in.Name, name)
			}
			want := characteristics(t, filepath.Join(dir, "instance_characteristics.txt"))
			for name, got := range map[string]int{
				"number of orders":      len(in.Orders),
				"number of restaurants": len(in.Restaurants),
				"number of couriers":    len(in.Couriers),
			} {
				if w, ok := want[name]; !ok || float64(got) != w {
					t.Errorf("%s = %d, instance_characteristics.txt says %v", name, got, want[name])
				}
			}
			minutes := 0
			for _, c := range in.Couriers {
				minutes += c.Off - c.On
			}
			if hours, w := float64(minutes)/60, want["total courier hours"]; math.Abs(hours-w) > 0.006 {
				t.Errorf("total courier hours = %.3f, instance_characteristics.txt says %v", hours, w)
			}
			if mpm := in.Params.MetersPerMinute; mpm != 320 && mpm != 427 {
				t.Errorf("meters_per_minute = %d, want 320 (t100) or 427 (t75)", mpm)
			}
			o := in.Orders[len(in.Orders)-1]
			if got, ok := in.Order(o.ID); !ok || got != o {
				t.Errorf("Order(%q) = %v, %v; want %v", o.ID, got, ok, o)
			}
		})
	}
	if len(dirs) != 72 {
		t.Errorf("found %d instances, want the 72 of seeds 0-2", len(dirs))
	}
}

func TestLoadTiny(t *testing.T) {
	in, err := Load(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	want := Params{MetersPerMinute: 100, PickupService: 4, DropoffService: 2, TargetCtD: 25, MaxCtD: 60, PayPerOrder: 10, PayPerHour: 15}
	if in.Params != want {
		t.Errorf("Params = %+v, want %+v", in.Params, want)
	}
	if in.Name != "tiny" || len(in.Orders) != 4 || len(in.Restaurants) != 2 || len(in.Couriers) != 2 {
		t.Fatalf("got %s with %d orders, %d restaurants, %d couriers", in.Name, len(in.Orders), len(in.Restaurants), len(in.Couriers))
	}
	if o, _ := in.Order("o2"); o != (Order{ID: "o2", Customer: Point{600, 800}, Placement: 2, Restaurant: "r1", Ready: 12}) {
		t.Errorf("o2 = %+v", o)
	}
	if r, _ := in.Restaurant("r2"); r != (Restaurant{ID: "r2", At: Point{1000, 0}}) {
		t.Errorf("r2 = %+v", r)
	}
	if c, _ := in.Courier("c2"); c != (Courier{ID: "c2", Start: Point{500, 0}, On: 30, Off: 150}) {
		t.Errorf("c2 = %+v", c)
	}
	for _, id := range []string{"o9", "r1"} {
		if _, ok := in.Order(id); ok {
			t.Errorf("Order(%q) found", id)
		}
	}
	if _, ok := in.Courier("o1"); ok {
		t.Error(`Courier("o1") found`)
	}
}

func TestLoadRejectsMalformed(t *testing.T) {
	cases := []struct {
		name      string
		file      string // file to edit
		old, new  string // edit: replace old by new ("" old: delete the file)
		wantFile  string
		wantLine  int
		wantError string
	}{
		{"header", "orders.txt", "placement_time", "placed", "orders.txt", 1, "header"},
		{"too few columns", "orders.txt", "o2\t600\t800\t2\tr1\t12", "o2\t600\t800\t2\tr1", "orders.txt", 3, "5 columns, want 6"},
		{"too many columns", "couriers.txt", "c2\t500\t0\t30\t150", "c2\t500\t0\t30\t150\t7", "couriers.txt", 3, "6 columns, want 5"},
		{"not an integer", "orders.txt", "o1\t300\t400", "o1\t300.5\t400", "orders.txt", 2, `x "300.5" is not a whole number`},
		{"duplicate order", "orders.txt", "o2\t", "o1\t", "orders.txt", 3, `duplicate id "o1"`},
		{"id shared across files", "couriers.txt", "c2\t", "r2\t", "couriers.txt", 3, `duplicate id "r2"`},
		{"reserved id", "restaurants.txt", "r2\t", "0\t", "restaurants.txt", 3, "reserved"},
		{"unknown restaurant", "orders.txt", "r2\t30", "r9\t30", "orders.txt", 4, `unknown restaurant "r9"`},
		{"ready before placement", "orders.txt", "2\tr1\t12", "2\tr1\t1", "orders.txt", 3, "ready_time 1 before placement_time 2"},
		{"off not after on", "couriers.txt", "0\t60", "0\t0", "couriers.txt", 2, "on_time (0) < off_time (0)"},
		{"zero speed", "instance_parameters.txt", "\n100\t", "\n0\t", "instance_parameters.txt", 2, "meters_per_minute 0"},
		{"two parameter rows", "instance_parameters.txt", "15\n", "15\n100\t4\t2\t25\t60\t10\t15\n", "instance_parameters.txt", 0, "2 data rows"},
		{"blank line inside", "restaurants.txt", "r1\t0\t0\n", "r1\t0\t0\n\n", "restaurants.txt", 3, "blank line"},
		{"coordinate out of range", "restaurants.txt", "r2\t1000\t0", "r2\t1000\t-2000000000", "restaurants.txt", 3, "out of range"},
		{"missing file", "restaurants.txt", "", "", "restaurants.txt", 0, "no such file"},
		{"empty file", "couriers.txt", "courier\tx\ty\ton_time\toff_time\nc1\t0\t300\t0\t60\nc2\t500\t0\t30\t150\n", "", "couriers.txt", 0, "empty file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(editedCopy(t, tinyDir, tc.file, tc.old, tc.new))
			wantFileError(t, err, tc.wantFile, tc.wantLine, tc.wantError)
		})
	}
}

func TestTravel(t *testing.T) {
	in := &Instance{Params: Params{MetersPerMinute: 320}}
	cases := []struct {
		a, b Point
		want int
	}{
		{Point{0, 0}, Point{0, 0}, 0},
		{Point{5, 5}, Point{5, 6}, 1},
		{Point{0, 0}, Point{320, 0}, 1},                     // exact multiple: no extra minute
		{Point{0, 0}, Point{321, 0}, 2},                     // one metre more: one minute more
		{Point{0, 0}, Point{1920, 2560}, 10},                // 3200 m (3-4-5 triangle), exact
		{Point{1920, 2560}, Point{0, 0}, 10},                // symmetric
		{Point{0, 0}, Point{1920, 2561}, 11},                // 3200.77 m
		{Point{-960, 0}, Point{0, 1280}, 5},                 // 1600 m across the origin
		{Point{0, 0}, Point{319, 0}, 1},                     // under a minute rounds up
		{Point{0, 0}, Point{320 * 9_000_000, 1}, 9_000_001}, // 2.88e9 m and a hair: float64 would say 9000000
	}
	for _, tc := range cases {
		if got := in.Travel(tc.a, tc.b); got != tc.want {
			t.Errorf("Travel(%v, %v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	// The huge case really is one that naive float arithmetic gets wrong.
	naive := math.Ceil(math.Sqrt(float64(int64(320*9_000_000)*(320*9_000_000)+1)) / 320)
	if naive != 9_000_000 {
		t.Logf("float64 gives %v on the huge case; the test no longer shows a float error", naive)
	}
}

// TestTravelIsSmallestSufficientTime checks the definition on random legs: t minutes at
// the speed cover the distance, t-1 do not.
func TestTravelIsSmallestSufficientTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		mpm := 1 + r.IntN(500)
		a := Point{r.IntN(40001) - 20000, r.IntN(40001) - 20000}
		b := Point{r.IntN(40001) - 20000, r.IntN(40001) - 20000}
		if r.IntN(4) == 0 { // exact multiples along an axis
			b = Point{a.X + mpm*r.IntN(50), a.Y}
		}
		got := travel(a, b, mpm)
		dx, dy := int64(a.X-b.X), int64(a.Y-b.Y)
		d2 := dx*dx + dy*dy
		covered := func(t int) bool { v := int64(t) * int64(mpm); return v*v >= d2 }
		if !covered(got) || (got > 0 && covered(got-1)) {
			t.Fatalf("travel(%v, %v, %d) = %d: not the smallest whole minutes covering %v m", a, b, mpm, got, math.Sqrt(float64(d2)))
		}
	}
}
