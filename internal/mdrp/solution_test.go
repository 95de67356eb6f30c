package mdrp

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestReadTinySolution(t *testing.T) {
	_, s := loadTiny(t)
	want := &Solution{
		Assignments: []Assignment{
			{Time: 3, Pickup: 12, Courier: "c1", Orders: []string{"o1", "o2"}},
			{Time: 21, Pickup: 39, Courier: "c1", Orders: []string{"o3"}},
		},
		Orders: []OrderResult{
			{Order: "o1", Placement: 0, Ready: 10, Pickup: 12, Dropoff: 20, Courier: "c1"},
			{Order: "o2", Placement: 2, Ready: 12, Pickup: 12, Dropoff: 27, Courier: "c1"},
			{Order: "o3", Placement: 20, Ready: 30, Pickup: 39, Dropoff: 47, Courier: "c1"},
		},
		Moves: []Move{
			{"c1", 3, "0", "r1"}, {"c1", 14, "r1", "o1"}, {"c1", 21, "o1", "o2"}, {"c1", 28, "o2", "r2"}, {"c1", 41, "r2", "o3"},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("ReadSolution =\n%+v\nwant\n%+v", s, want)
	}
}

// TestSolutionRoundTrip writes the hand-made solution, which is in canonical order, and
// expects the very files it came from, then reads them back.
func TestSolutionRoundTrip(t *testing.T) {
	_, s := loadTiny(t)
	dir := filepath.Join(t.TempDir(), "new")
	if err := WriteSolution(dir, s); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{AssignmentsFile, OrdersFile, CouriersFile} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(tinyDir, "solution", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s =\n%s\nwant\n%s", name, got, want)
		}
	}
	back, err := ReadSolution(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("read back %+v, wrote %+v", back, s)
	}
}

// TestWriteSolutionCanonicalOrder writes a scrambled solution: couriers' moves
// interleaved, orders and assignments out of order. The files group each courier's moves
// (keeping their order) and sort the rest; the solution itself is left alone.
func TestWriteSolutionCanonicalOrder(t *testing.T) {
	s := &Solution{
		Assignments: []Assignment{
			{Time: 9, Pickup: 20, Courier: "c10", Orders: []string{"o10"}},
			{Time: 9, Pickup: 15, Courier: "c2", Orders: []string{"o7", "o3"}},
			{Time: 1, Pickup: 8, Courier: "c10", Orders: []string{"o1"}},
		},
		Orders: []OrderResult{
			{Order: "o10", Courier: "c10"}, {Order: "o3", Courier: "c2"}, {Order: "o1", Courier: "c10"}, {Order: "o7", Courier: "c2"},
		},
		Moves: []Move{
			{"c10", 1, "0", "r1"}, {"c2", 2, "0", "r5"}, {"c10", 9, "r1", "o1"}, {"c2", 16, "r5", "o7"}, {"c10", 12, "o1", "r4"},
		},
	}
	orig := s.Canonical() // a deep copy in canonical order
	scrambled := &Solution{
		Assignments: append([]Assignment(nil), s.Assignments...),
		Orders:      append([]OrderResult(nil), s.Orders...),
		Moves:       append([]Move(nil), s.Moves...),
	}
	dir := t.TempDir()
	if err := WriteSolution(dir, s); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, scrambled) {
		t.Error("WriteSolution reordered its argument")
	}
	want := &Solution{
		Assignments: []Assignment{s.Assignments[2], s.Assignments[1], s.Assignments[0]},
		Orders:      []OrderResult{s.Orders[2], s.Orders[1], s.Orders[3], s.Orders[0]},
		Moves:       []Move{s.Moves[1], s.Moves[3], s.Moves[0], s.Moves[2], s.Moves[4]},
	}
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("Canonical =\n%+v\nwant\n%+v", orig, want)
	}
	back, err := ReadSolution(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", back, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, AssignmentsFile))
	if err != nil {
		t.Fatal(err)
	}
	if wantText := "assignment_time pickup_time courier order\n1 8 c10 o1\n9 15 c2 o7 o3\n9 20 c10 o10\n"; string(b) != wantText {
		t.Errorf("assignments file =\n%s\nwant\n%s", b, wantText)
	}
}

func TestReadSolutionRejectsMalformed(t *testing.T) {
	cases := []struct {
		name      string
		file      string
		old, new  string
		wantLine  int
		wantError string
	}{
		{"assignments header", AssignmentsFile, "pickup_time", "pickup", 1, "header"},
		{"assignment without orders", AssignmentsFile, "21 39 c1 o3", "21 39 c1", 3, "3 columns, want at least 4"},
		{"assignment time not a number", AssignmentsFile, "3 12 c1", "3.0 12 c1", 2, `assignment_time "3.0"`},
		{"orders header", OrdersFile, "dropoff_time courier", "dropoff_time", 1, "header"},
		{"orders row too long", OrdersFile, "o2 2 12 12 27 c1", "o2 2 12 12 27 c1 extra", 3, "7 columns, want 6"},
		{"dropoff not a number", OrdersFile, "20 c1", "twenty c1", 2, `dropoff_time "twenty"`},
		{"couriers row too short", CouriersFile, "c1 28 o2 r2", "c1 28 o2", 5, "3 columns, want 4"},
		{"departure not a number", CouriersFile, "c1 41 r2", "c1 4l r2", 6, `departure_time "4l"`},
		{"missing file", CouriersFile, "", "", 0, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSolution(editedCopy(t, filepath.Join(tinyDir, "solution"), tc.file, tc.old, tc.new))
			wantFileError(t, err, tc.file, tc.wantLine, tc.wantError)
		})
	}
}

// FuzzReadSolution feeds arbitrary text as the assignments file: ReadSolution must not
// panic, and its errors must name a file.
func FuzzReadSolution(f *testing.F) {
	for _, seed := range []string{
		"assignment_time pickup_time courier order\n3 12 c1 o1 o2\n21 39 c1 o3\n",
		"assignment_time pickup_time courier order\n\n3 12 c1 o1\n",
		"assignment_time\tpickup_time\tcourier\torder\r\n-1 x c1 o1\r\n",
		"",
	} {
		f.Add(seed)
	}
	src := filepath.Join(tinyDir, "solution")
	f.Fuzz(func(t *testing.T, text string) {
		dir := copyDir(t, src)
		if err := os.WriteFile(filepath.Join(dir, AssignmentsFile), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ReadSolution(dir)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FileError", err)
			}
			return
		}
		for _, a := range s.Assignments {
			if len(a.Orders) == 0 {
				t.Fatalf("assignment without orders read from %q", text)
			}
		}
	})
}
