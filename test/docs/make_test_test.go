// Package docs holds tests that keep the README true to the build: what it says `make test`
// runs, and how long it took, must be what the Makefile runs.
package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stageRow is one row of the README's "What make test runs" table.
type stageRow struct {
	stage, proves, cold, warm string
}

var duration = regexp.MustCompile(`^(\d+)m(\d\d)s$`)

// TestREADMEStagesAreMakeTest holds the README's stage table to `make test-stages`: the same
// stages in the same order, each described and timed, and totals that add up and match the
// first screen.
func TestREADMEStagesAreMakeTest(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("make", "-s", "-C", root, "test-stages").Output()
	if err != nil {
		t.Fatalf("make test-stages: %v", err)
	}
	want := strings.Fields(string(out))

	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows, total := stageTable(t, string(readme))
	var got []string
	coldSum, warmSum := 0, 0
	for _, r := range rows {
		got = append(got, r.stage)
		if r.proves == "" {
			t.Errorf("stage %s: no description of what it proves", r.stage)
		}
		coldSum += seconds(t, r.stage+" cold", r.cold)
		warmSum += seconds(t, r.stage+" warm", r.warm)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README stage table differs from `make test-stages` (-make +README):\n%s", diff)
	}
	if s := seconds(t, "total cold", total.cold); s != coldSum {
		t.Errorf("cold total %s, but the stages add up to %s", total.cold, format(coldSum))
	}
	if s := seconds(t, "total warm", total.warm); s != warmSum {
		t.Errorf("warm total %s, but the stages add up to %s", total.warm, format(warmSum))
	}
	firstScreen := "takes " + total.cold + ", a warm one " + total.warm
	if !strings.Contains(string(readme), firstScreen) {
		t.Errorf("the README's first screen does not say %q", firstScreen)
	}
}

// stageTable reads the table after the <!-- make-test-stages --> marker: its stage rows and
// its total row.
func stageTable(t *testing.T, readme string) (rows []stageRow, total stageRow) {
	t.Helper()
	_, after, ok := strings.Cut(readme, "<!-- make-test-stages -->\n")
	if !ok {
		t.Fatal("README.md has no <!-- make-test-stages --> table")
	}
	for i, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		if i < 2 { // header and separator
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			t.Fatalf("README stage table row %q: want 4 cells", line)
		}
		for j := range cells {
			cells[j] = strings.Trim(strings.TrimSpace(cells[j]), "*`")
		}
		row := stageRow{cells[0], cells[1], cells[2], cells[3]}
		if row.stage == "total" {
			total = row
			continue
		}
		rows = append(rows, row)
	}
	if total.stage == "" {
		t.Fatal("README stage table has no total row")
	}
	return rows, total
}

func seconds(t *testing.T, what, d string) int {
	t.Helper()
	m := duration.FindStringSubmatch(d)
	if m == nil {
		t.Errorf("%s: %q is not a time like 3m07s", what, d)
		return 0
	}
	min, _ := strconv.Atoi(m[1])
	sec, _ := strconv.Atoi(m[2])
	return min*60 + sec
}

func format(s int) string {
	return strconv.Itoa(s/60) + "m" + strconv.Itoa(s%60/10) + strconv.Itoa(s%10) + "s"
}
