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

// cells reads the fields of one row of t. The first problem is kept in err, as a
// FileError naming the file and line, and later reads return zero values.
type cells struct {
	t   *table
	r   row
	err error
}

func (t *table) cells(r row) *cells { return &cells{t: t, r: r} }

// errf returns a FileError for c's line.
func (c *cells) errf(format string, args ...any) error { return c.t.errf(c.r.line, format, args...) }

func (c *cells) fail(format string, args ...any) {
	if c.err == nil {
		c.err = c.errf(format, args...)
	}
}

// int parses field i as a whole number; name says which column it is.
func (c *cells) int(i int, name string) int {
	v, err := strconv.Atoi(c.r.fields[i])
	if err != nil {
		c.fail("%s %q is not a whole number", name, c.r.fields[i])
	}
	return v
}

// float parses field i as a number.
func (c *cells) float(i int, name string) float64 {
	v, err := strconv.ParseFloat(c.r.fields[i], 64)
	if err != nil {
		c.fail("%s %q is not a number", name, c.r.fields[i])
	}
	return v
}

// point parses fields i and i+1 as a coordinate pair within ±maxCoord.
func (c *cells) point(i int) Point {
	p := Point{c.int(i, "x"), c.int(i+1, "y")}
	if p.X < -maxCoord || p.X > maxCoord || p.Y < -maxCoord || p.Y > maxCoord {
		c.fail("coordinate (%d, %d) out of range ±%d", p.X, p.Y, maxCoord)
	}
	return p
}

// eachCells reads the table at path and calls f with the cells of each data row. It
// stops at the first error f returns or the first problem the row's cells report.
func eachCells(path string, spec tableSpec, f func(c *cells) error) error {
	t, err := readTable(path, spec)
	if err != nil {
		return err
	}
	for _, r := range t.rows {
		c := t.cells(r)
		if err := f(c); err != nil {
			return err
		}
		if c.err != nil {
			return c.err
		}
	}
	return nil
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
