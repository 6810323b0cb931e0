package cel

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/cel"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate/validatetest"
)

// A row of a table, as trials for one configuration.
type row struct {
	name   string
	cfg    linkstate.Config
	trials []trial
}

// ruleTable is every row of pkg/validate's rule table, as requests: each create as a VM
// and as a VMI, each update as both too, each transition as a VM update.
func ruleTable() []row {
	var rows []row
	for _, name := range sortedKeys(validatetest.RuleCases) {
		tc := validatetest.RuleCases[name]
		if !slices.Contains(cel.Dialects, tc.ConfigOf().Dialect) {
			// Dialect none has no policies (see deliberateDifferences, TestNoPoliciesForDialectNone).
			continue
		}
		var trials []trial
		for _, k := range cel.Kinds {
			trials = append(trials, trial{kind: k, spec: tc.Spec})
		}
		rows = append(rows, row{name: "create/" + name, cfg: tc.ConfigOf(), trials: trials})
	}
	for _, name := range sortedKeys(validatetest.UpdateCases) {
		tc := validatetest.UpdateCases[name]
		var trials []trial
		for _, k := range cel.Kinds {
			trials = append(trials, trial{kind: k, spec: tc.New, old: tc.Old})
		}
		rows = append(rows, row{name: "update/" + name, cfg: linkstate.DefaultConfig(), trials: trials})
	}
	for _, name := range sortedKeys(validatetest.TransitionCases) {
		tc := validatetest.TransitionCases[name]
		rows = append(rows, row{name: "transition/" + name, cfg: linkstate.DefaultConfig(),
			trials: []trial{{kind: linkstate.VirtualMachine, spec: tc.New, old: tc.Old, running: tc.Running}}})
	}
	return rows
}

// TestNoPoliciesForDialectNone holds the rows ruleTable leaves out to what they stand for:
// generating for dialect none is refused, with the reason, and those rows are the only ones.
func TestNoPoliciesForDialectNone(t *testing.T) {
	opts := cel.DefaultOptions()
	opts.Config.Dialect = linkstate.None
	if _, err := cel.Generate(opts); err == nil || !strings.Contains(err.Error(), "admission.mode=webhook") {
		t.Errorf("generating for dialect none: want an error pointing to the webhook, got %v", err)
	}
	left := 0
	for _, tc := range validatetest.RuleCases {
		if d := tc.ConfigOf().Dialect; !slices.Contains(cel.Dialects, d) {
			if d != linkstate.None {
				t.Errorf("a row of dialect %q is left out of the equivalence", d)
			}
			left++
		}
	}
	if left == 0 {
		t.Error("no rows of dialect none in the rule table: this test and the skip in ruleTable are stale")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestRuleTableEquivalence sends every row of the rule table to the webhook and to the
// generated policies, on the same API server, and requires the same answer (see compare
// and deliberateDifferences).
func TestRuleTableEquivalence(t *testing.T) {
	runEquivalence(t, "rt", ruleTable())
}

// runEquivalence installs a group of policies per configuration of rows, then, one
// configuration at a time (the webhook restarted with its flags), sends every trial to both.
func runEquivalence(t *testing.T, prefix string, rows []row) {
	apiServer(t)
	var gs groups
	byGroup := map[*group][]row{}
	for _, r := range rows {
		g := gs.of(r.cfg)
		byGroup[g] = append(byGroup[g], r)
	}
	trials := 0
	for _, r := range rows {
		trials += len(r.trials)
	}
	t.Logf("%d rows, %d requests to each way, %d configurations", len(rows), trials, len(gs.list))
	for _, g := range gs.list {
		g.install(t, prefix)
	}
	for _, g := range gs.list {
		g.waitInEffect(t)
	}
	for _, g := range gs.list {
		t.Run(g.name, func(t *testing.T) {
			t.Logf("webhook flags: %v", g.flags())
			// A webhook stopped moments after it started may miss its shutdown grace
			// period and exit 1; what matters here is that it is gone.
			if err := env.StopWebhook(); err != nil {
				t.Logf("stopping the previous webhook: %v", err)
			}
			if err := env.StartWebhook(context.Background(), g.flags()...); err != nil {
				t.Fatal(err)
			}
			for _, r := range byGroup[g] {
				for _, tr := range r.trials {
					t.Run(r.name+"/"+tr.kind.GroupKind.Kind, func(t *testing.T) {
						t.Parallel()
						web := send(t, tr, g.webhookNS)
						pol := send(t, tr, g.celNS)
						compare(t, tr, g.cfg, g.prefix, web, pol)
					})
				}
			}
		})
	}
}
