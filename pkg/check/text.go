package check

import (
	"fmt"
	"io"
)

// WriteText prints one block per result (verdict, patch, warnings, causes), then a line
// per skipped document, then a summary.
func WriteText(w io.Writer, results []Result, skipped []Document) {
	WriteReport(w, Report{Results: results, Skipped: skipped})
}

// WriteReport prints one block per result (verdict, patch, warnings, audit records,
// notes, causes), a line per Namespace the policies saw and per skipped document, then a
// summary.
func WriteReport(w io.Writer, r Report) {
	denied := 0
	for _, res := range r.Results {
		if !res.Allowed {
			denied++
		}
		writeTextResult(w, res)
	}
	for _, d := range r.Namespaces {
		writeTextNamespace(w, d)
	}
	for _, d := range r.Skipped {
		writeTextSkipped(w, d)
	}
	writeTextSummary(w, len(r.Results), denied, len(r.Skipped))
}

// writeTextResult prints the block of one verdict.
func writeTextResult(w io.Writer, r Result) {
	verdict := "ALLOWED"
	if !r.Allowed {
		verdict = "DENIED"
	}
	fmt.Fprintf(w, "%-8s %s %s  (%s)\n", verdict, r.Kind, objectName(r.Namespace, r.Name), r.source)
	for _, op := range r.Patch {
		fmt.Fprintf(w, "  patch:   %s %s %v\n", op.Operation, op.Path, quoted(op.Value))
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", msg)
	}
	for _, msg := range r.Audit {
		fmt.Fprintf(w, "  audit:   %s\n", msg)
	}
	for _, msg := range r.Notes {
		fmt.Fprintf(w, "  note:    %s\n", msg)
	}
	for _, c := range r.Causes {
		if c.Field != "" {
			fmt.Fprintf(w, "  error:   %s: %s\n", c.Field, c.Message)
		} else {
			fmt.Fprintf(w, "  error:   %s\n", c.Message)
		}
	}
}

func writeTextNamespace(w io.Writer, d Document) {
	fmt.Fprintf(w, "USED     %s %s %s  (%s): its labels, for the policies' namespaceSelectors\n", d.APIVersion, d.Kind, d.Name, d.Source)
}

func writeTextSkipped(w io.Writer, d Document) {
	fmt.Fprintf(w, "SKIPPED  %s %s %s  (%s): not a KubeVirt VM, VMI or migration\n",
		d.APIVersion, d.Kind, objectName(d.Namespace, d.Name), d.Source)
}

func writeTextSummary(w io.Writer, checked, denied, skipped int) {
	fmt.Fprintf(w, "%d checked, %d allowed, %d denied, %d skipped\n", checked, checked-denied, denied, skipped)
}

func objectName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

func quoted(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}
