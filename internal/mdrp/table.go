package mdrp

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileError is a problem found in one line of an input file. Line is 1-based; 0 means
// the problem concerns the file as a whole (it is missing, empty or unreadable).
type FileError struct {
	File string // path of the file as given
	Line int
	Err  error
}

// Error reports "mdrp: file:line: problem".
func (e *FileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("mdrp: %s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("mdrp: %s:%d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the underlying problem.
func (e *FileError) Unwrap() error { return e.Err }

// row is one data line of a table: its 1-based line number and its fields.
type row struct {
	line   int
	fields []string
}

// table is a whitespace-separated file read by readTable, with helpers that turn field
// problems into FileErrors naming the file and line.
type table struct {
	path string
	rows []row
}

// errf builds a FileError for the given line of t.
func (t *table) errf(line int, format string, args ...any) error {
	return &FileError{File: t.path, Line: line, Err: fmt.Errorf(format, args...)}
}

// int parses field i of r as a whole number; name says which column it is.
func (t *table) int(r row, i int, name string) (int, error) {
	v, err := strconv.Atoi(r.fields[i])
	if err != nil {
		return 0, t.errf(r.line, "%s %q is not a whole number", name, r.fields[i])
	}
	return v, nil
}

// float parses field i of r as a number.
func (t *table) float(r row, i int, name string) (float64, error) {
	v, err := strconv.ParseFloat(r.fields[i], 64)
	if err != nil {
		return 0, t.errf(r.line, "%s %q is not a number", name, r.fields[i])
	}
	return v, nil
}

// tableSpec says what a table must look like.
type tableSpec struct {
	header []string // exact header fields
	// tabHeader splits the header on tabs rather than on any white space (for headers
	// whose column names contain spaces).
	tabHeader bool
	// minCols and maxCols bound the number of fields of a data row; maxCols < 0 means
	// no upper bound.
	minCols, maxCols int
}

// readTable reads path: one header line equal to spec.header, then data rows of
// whitespace-separated fields. Blank lines are allowed only at the end of the file.
func readTable(path string, spec tableSpec) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{File: path, Err: err}
	}
	defer f.Close()
	t := &table{path: path}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	line, blank := 0, 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			if err := checkHeader(text, spec); err != nil {
				return nil, t.errf(1, "%v", err)
			}
			continue
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			if blank == 0 {
				blank = line
			}
			continue
		}
		if blank != 0 {
			return nil, t.errf(blank, "blank line before more data")
		}
		if len(fields) < spec.minCols || (spec.maxCols >= 0 && len(fields) > spec.maxCols) {
			return nil, t.errf(line, "%d columns, want %s", len(fields), colsWanted(spec))
		}
		t.rows = append(t.rows, row{line: line, fields: fields})
	}
	if err := sc.Err(); err != nil {
		return nil, t.errf(line+1, "%v", err)
	}
	if line == 0 {
		return nil, &FileError{File: path, Err: errors.New("empty file: no header line")}
	}
	return t, nil
}

// checkHeader compares a header line with the one spec wants.
func checkHeader(text string, spec tableSpec) error {
	var got []string
	if spec.tabHeader {
		for _, f := range strings.Split(text, "\t") {
			got = append(got, strings.TrimSpace(f))
		}
	} else {
		got = strings.Fields(text)
	}
	if strings.Join(got, "\x00") != strings.Join(spec.header, "\x00") {
		return fmt.Errorf("header %q, want %q", strings.Join(got, " | "), strings.Join(spec.header, " | "))
	}
	return nil
}

// colsWanted describes the column count a spec allows.
func colsWanted(spec tableSpec) string {
	switch {
	case spec.maxCols < 0:
		return fmt.Sprintf("at least %d", spec.minCols)
	case spec.minCols == spec.maxCols:
		return strconv.Itoa(spec.minCols)
	default:
		return fmt.Sprintf("%d to %d", spec.minCols, spec.maxCols)
	}
}

// writeTable writes a header and rows of space-separated fields to dir/name. A single
// space separates fields, which both whitespace splitting and the authors' evaluator
// (which reads the orders file with a one-space separator) accept.
func writeTable(dir, name string, header []string, rows [][]string) error {
	var b strings.Builder
	b.WriteString(strings.Join(header, " "))
	b.WriteByte('\n')
	for _, r := range rows {
		b.WriteString(strings.Join(r, " "))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("mdrp: write %s: %w", name, err)
	}
	return nil
}
