package mdrp

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// editedCopy copies the files of src to a temporary directory and edits one there:
// replaces the first old by new, or deletes the file when old is "".
func editedCopy(t *testing.T, src, file, old, new string) string {
	t.Helper()
	dir := copyDir(t, src)
	path := filepath.Join(dir, file)
	if old == "" {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", file, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// wantFileError checks that err is a *FileError about file (base name) at line (0: the
// whole file) whose message names file:line and says want.
func wantFileError(t *testing.T, err error, file string, line int, want string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v, want a *FileError", err)
	}
	if filepath.Base(fe.File) != file || fe.Line != line {
		t.Errorf("error at %s:%d, want %s:%d (%v)", filepath.Base(fe.File), fe.Line, file, line, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if line > 0 && !strings.Contains(err.Error(), file+":"+strconv.Itoa(line)+":") {
		t.Errorf("error %q does not name %s:%d", err, file, line)
	}
}

// instanceDirs lists the instance folders of the shared MDRPLIB (those with an
// orders.txt; published/ has none).
func instanceDirs(t *testing.T) []string {
	t.Helper()
	root := mdrplibDir(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "orders.txt")); err == nil {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}
