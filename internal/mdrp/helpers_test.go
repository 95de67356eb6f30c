package mdrp

import (
	"os"
	"path/filepath"
	"testing"
)

const tinyDir = "testdata/tiny"

// mdrplibDir finds the shared MDRPLIB folder: $MDRPLIB if set, else shared/mdrplib in
// the nearest ancestor of the working directory that has one (the repository sits beside
// shared/). Without it the test is skipped loudly, except under CI=true, where it fails.
func mdrplibDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("MDRPLIB"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "shared", "mdrplib")
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			return candidate
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("shared/mdrplib not found above %s and MDRPLIB unset", wd)
	}
	t.Skipf("SKIPPING: shared/mdrplib not found above %s (set MDRPLIB to run this test)", wd)
	return ""
}

// loadTiny loads the hand-made instance and its valid solution.
func loadTiny(t *testing.T) (*Instance, *Solution) {
	t.Helper()
	in, err := Load(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSolution(filepath.Join(tinyDir, "solution"))
	if err != nil {
		t.Fatal(err)
	}
	return in, s
}

// copyDir copies the regular files of src into a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
