// Package tap writes Test Anything Protocol (version 13) streams.
//
// ward's own stand-in for github.com/mndrix/tap-go, which Debian does not
// package: the OCI runtime-tools validation programs import it by that path.
// It offers only what those programs call (New, Todo, Header, Ok, Fail,
// Pass, Skip, Diagnostic, Diagnosticf, YAML, AutoPlan), with the same
// meaning, so that their output is the TAP tests/lanes/conformance.sh reads.
package tap

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// T is one TAP stream; its test points are numbered from 1.
type T struct {
	// Writer receives the stream (os.Stdout from New).
	Writer io.Writer
	// TODO marks this handle's test points as TODO: expected to fail, not
	// counted as failures by TAP readers.
	TODO bool
	// count is shared by the handles Todo returns, so numbering stays one
	// sequence.
	count *int
}

// New returns a stream on standard output.
func New() *T {
	return &T{Writer: os.Stdout, count: new(int)}
}

// Todo returns a handle on the same stream whose test points are TODO.
func (t *T) Todo() *T {
	return &T{Writer: t.Writer, TODO: true, count: t.count}
}

func (t *T) printf(format string, args ...interface{}) {
	fmt.Fprintf(t.Writer, format, args...)
}

// Header starts the stream; a positive count is the plan printed up front
// (0 means the plan comes at the end, from AutoPlan).
func (t *T) Header(count int) {
	t.printf("TAP version 13\n")
	if count > 0 {
		t.printf("1..%d\n", count)
	}
}

// Ok reports one test point: passed when ok is true.
func (t *T) Ok(ok bool, description string) {
	*t.count++
	status := "ok"
	if !ok {
		status = "not ok"
	}
	directive := ""
	if t.TODO {
		directive = " # TODO"
	}
	t.printf("%s %d - %s%s\n", status, *t.count, oneLine(description), directive)
}

// Fail reports a failed test point.
func (t *T) Fail(description string) {
	t.Ok(false, description)
}

// Pass reports a passed test point.
func (t *T) Pass(description string) {
	t.Ok(true, description)
}

// Skip reports count test points as skipped, all for the same reason.
func (t *T) Skip(count int, reason string) {
	for i := 0; i < count; i++ {
		*t.count++
		t.printf("ok %d # SKIP %s\n", *t.count, oneLine(reason))
	}
}

// AutoPlan prints the plan for the test points reported so far; a stream
// whose Header had no count ends with it.
func (t *T) AutoPlan() {
	t.printf("1..%d\n", *t.count)
}

// Diagnostic prints a comment; every line of a multi-line message gets the
// "# " prefix so that none can be read as a test point.
func (t *T) Diagnostic(message string) {
	for _, line := range strings.Split(strings.TrimRight(message, "\n"), "\n") {
		t.printf("# %s\n", line)
	}
}

// Diagnosticf is Diagnostic with fmt.Sprintf formatting.
func (t *T) Diagnosticf(format string, args ...interface{}) {
	t.Diagnostic(fmt.Sprintf(format, args...))
}

// YAML attaches a structured diagnostic block to the last test point. The
// block is JSON, which YAML parsers read as a flow mapping, indented as
// TAP 13 requires.
func (t *T) YAML(message interface{}) error {
	text, err := json.MarshalIndent(message, "  ", "  ")
	if err != nil {
		return err
	}
	t.printf("  ---\n  %s\n  ...\n", text)
	return nil
}

func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", " ")
}
