package cel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/mutate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// The deliberate differences between the two ways, each with its reason and the test that
// holds the policies to exactly that difference and no other.
var deliberateDifferences = []struct{ what, why, heldBy string }{
	{
		what:   "dialect none (a KubeVirt without link state) has no policies: its rows of the rule table go to the webhook only, and `webhook cel --dialect none` is refused",
		why:    "such a cluster needs only up and down refused, which its own KubeVirt mostly does already; the policies exist for the clusters that spell link states",
		heldBy: "TestNoPoliciesForDialectNone",
	},
	{
		what:   "D2's warning (an alias spelling was rewritten) comes from the webhook only; the policies rewrite the alias the same way, silently",
		why:    "a MutatingAdmissionPolicy cannot return warnings, and by the time a ValidatingAdmissionPolicy sees the object the alias is gone",
		heldBy: "compare",
	},
	{
		what:   "the policies' warnings arrive as one warning listing them all, as a denial lists its causes (\"[a, b]\"), where the webhook sends one warning each",
		why:    "a failing validation gives one warning, and how many interfaces fail is known only when the policy runs",
		heldBy: "compare",
	},
	{
		what:   "a denial whose list of findings is longer than 5 KiB says so and points to `webhook check` instead of listing them; the verdict is the same",
		why:    "the API server drops a policy message over 5 KiB and uses the policy's fixed message instead",
		heldBy: "TestLargestVM",
	},
	{
		what:   "a state value with control characters or <, > and & is printed with them as they are, where the webhook escapes them as JSON does (\\u0001, \\u0026)",
		why:    "CEL's strings.quote escapes only quotes, backslashes and \\a \\b \\f \\n \\r \\t \\v; apimachinery prints a state (a named string type) as JSON",
		heldBy: "TestQuotingOfUnusualCharacters",
	},
}

// A trial is one request, sent the same way to both: a create of spec, or (old set) an
// update from old, stored unjudged, to spec; running is what the old VM's status says.
type trial struct {
	kind    linkstate.Kind
	spec    *v1.VirtualMachineInstanceSpec
	old     *v1.VirtualMachineInstanceSpec
	running bool
}

// verdict is what the API server answered, and stored.
type verdict struct {
	sent     *unstructured.Unstructured
	err      error
	warnings []string
	stored   *unstructured.Unstructured
}

// objectName is a DNS label for a subtest's object.
func objectName(t *testing.T) string {
	sum := sha256.Sum256([]byte(t.Name()))
	return "o-" + hex.EncodeToString(sum[:6])
}

// send makes the trial's request in namespace ns.
func send(t *testing.T, tr trial, ns string) verdict {
	t.Helper()
	ctx := context.Background()
	name := objectName(t)
	obj := object(t, tr.kind, ns, name, tr.spec)
	if tr.old != nil {
		seed := object(t, tr.kind, ns, name, tr.old)
		labels := seed.GetLabels()
		labels[unjudgedLabel] = "true"
		seed.SetLabels(labels)
		if err := c.Create(ctx, seed); err != nil {
			t.Fatalf("storing the old object unjudged: %v", err)
		}
		if tr.running {
			status := map[string]any{"created": true, "ready": true, "printableStatus": string(v1.VirtualMachineStatusRunning)}
			if err := unstructured.SetNestedMap(seed.Object, status, "status"); err != nil {
				t.Fatal(err)
			}
			if err := c.Status().Update(ctx, seed); err != nil {
				t.Fatalf("setting the old VM's status: %v", err)
			}
		}
		obj.SetResourceVersion(seed.GetResourceVersion())
		if tr.running {
			obj.Object["status"] = seed.Object["status"]
		}
	}
	// A webhook call that failed (a timeout on a loaded machine) is no verdict: ask again.
	var err error
	var warnings func() []string
	for attempt := 1; ; attempt++ {
		var wctx context.Context
		wctx, warnings = collecting(ctx)
		if tr.old != nil {
			err = c.Update(wctx, obj.DeepCopy())
		} else {
			err = c.Create(wctx, obj.DeepCopy())
		}
		if err == nil || !strings.Contains(err.Error(), "failed calling webhook") || attempt == 3 {
			break
		}
		t.Logf("attempt %d: %v", attempt, err)
	}
	v := verdict{sent: obj, err: err, warnings: warnings()}
	if err == nil {
		v.stored = &unstructured.Unstructured{}
		v.stored.SetGroupVersionKind(obj.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), v.stored); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// expectation is what the webhook must say, computed with the pure functions: the mutation
// (for a VM, and for a VMI on create), then validation of the mutated object.
func expectation(tr trial, cfg linkstate.Config) (denial string, d2, warnings []string) {
	spec := *tr.spec
	if tr.kind.GroupKind == linkstate.VirtualMachine.GroupKind || tr.old == nil {
		ifaces, fs := mutate.DefaultStates(tr.kind.SpecPath, tr.spec, cfg)
		spec.Domain.Devices.Interfaces = ifaces
		d2 = fs.Warnings()
	}
	var old *linkstate.Object
	if tr.old != nil {
		old = &linkstate.Object{Kind: tr.kind, Spec: *tr.old, Running: tr.running}
	}
	fs := validate.Object(&linkstate.Object{Kind: tr.kind, Spec: spec}, old, cfg)
	if errs := fs.Errors(); len(errs) > 0 {
		denial = field.ErrorList(errs).ToAggregate().Error()
	}
	return denial, d2, finding.Findings(fs).Warnings()
}

var (
	webhookDenial = regexp.MustCompile(`(?s)^admission webhook "[^"]+" denied the request: \S+ "[^"]*" is invalid: (.*)$`)
	policyDenial  = regexp.MustCompile(`(?s)^\S+ "[^"]*" is forbidden: ValidatingAdmissionPolicy '([^']+)' with binding '([^']+)' denied request: (.*)$`)
	policyWarning = regexp.MustCompile(`(?s)^Validation failed for ValidatingAdmissionPolicy '([^']+)' with binding '([^']+)': (.*)$`)
)

// denialText is the list of findings in a denial, and who denied: a 422 Invalid from the
// webhook or from a policy, nothing else.
func denialText(err error) (text, by string, e error) {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Code != 422 || status.Status().Reason != "Invalid" {
		return "", "", fmt.Errorf("not a 422 Invalid: %v", err)
	}
	msg := status.Status().Message
	if m := webhookDenial.FindStringSubmatch(msg); m != nil {
		return m[1], "webhook", nil
	}
	if m := policyDenial.FindStringSubmatch(msg); m != nil {
		if m[1] != m[2] {
			return "", "", fmt.Errorf("policy %s denied through binding %s: %s", m[1], m[2], msg)
		}
		return m[3], m[1], nil
	}
	return "", "", fmt.Errorf("a denial by neither the webhook nor a policy: %s", msg)
}

// compare holds the trial's two verdicts to each other, and the webhook's to the pure
// functions (so that agreeing can never mean both ways were asleep).
func compare(t *testing.T, tr trial, cfg linkstate.Config, prefix string, web, pol verdict) {
	t.Helper()
	wantDenial, wantD2, wantWarnings := expectation(tr, cfg)
	kind := strings.ToLower(tr.kind.GroupKind.Kind)

	// The webhook, against the pure functions.
	if (web.err != nil) != (wantDenial != "") {
		t.Fatalf("webhook: error %v, want denial %q", web.err, wantDenial)
	}
	var webText string
	if web.err != nil {
		text, by, err := denialText(web.err)
		if err != nil || by != "webhook" {
			t.Fatalf("webhook side: %v (by %q)", err, by)
		}
		if text != wantDenial {
			t.Errorf("webhook denial:\n got %s\nwant %s", text, wantDenial)
		}
		webText = text
	}
	if diff := cmp.Diff(append(append([]string{}, wantD2...), wantWarnings...), web.warnings, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("webhook warnings (-want +got):\n%s", diff)
	}

	// The policies, against the webhook.
	if (pol.err != nil) != (web.err != nil) {
		t.Fatalf("verdicts differ: webhook %v, policies %v", web.err, pol.err)
	}
	if pol.err != nil {
		text, by, err := denialText(pol.err)
		if err != nil {
			t.Fatalf("policy side: %v", err)
		}
		if want := prefix + "-" + kind + "-deny"; by != want {
			t.Errorf("denied by %s, want %s", by, want)
		}
		if text != webText {
			t.Errorf("denials differ:\n webhook  %s\n policies %s", webText, text)
		}
	}
	// Deliberate differences: D2's warnings are the webhook's alone, and the policies
	// send the rest as one.
	webWarnings := web.warnings[min(len(wantD2), len(web.warnings)):]
	var wantPolicyWarnings []string
	if len(webWarnings) > 0 {
		errs := make([]error, len(webWarnings))
		for i, w := range webWarnings {
			errs[i] = errors.New(w)
		}
		wantPolicyWarnings = []string{fmt.Sprintf("Validation failed for ValidatingAdmissionPolicy '%s-%s-warn' with binding '%s-%s-warn': %s",
			prefix, kind, prefix, kind, utilerrors.NewAggregate(errs).Error())}
	}
	if diff := cmp.Diff(wantPolicyWarnings, pol.warnings, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("policy warnings (-want +got):\n%s", diff)
	}
	if web.stored != nil && pol.stored != nil {
		if diff := cmp.Diff(web.stored.Object["spec"], pol.stored.Object["spec"]); diff != "" {
			t.Errorf("stored specs differ (-webhook +policies):\n%s", diff)
		}
		// The policies' patches add states and remove nothing: all that was sent is stored.
		if missing := notIn(withoutStates(pol.sent), withoutStates(pol.stored), "spec"); len(missing) > 0 {
			t.Errorf("sent but not stored: %v", missing)
		}
	}
}

// withoutStates is u's spec with every interface's state removed.
func withoutStates(u *unstructured.Unstructured) any {
	c := u.DeepCopy()
	path := append(vmiSpecOf(c), "domain", "devices", "interfaces")
	list, _, _ := unstructured.NestedSlice(c.Object, path...)
	for _, i := range list {
		delete(i.(map[string]any), "state")
	}
	if list != nil {
		_ = unstructured.SetNestedSlice(c.Object, list, path...)
	}
	return c.Object["spec"]
}

// notIn lists the paths of values in sent that stored lacks or holds differently.
func notIn(sent, stored any, path string) []string {
	switch s := sent.(type) {
	case map[string]any:
		st, ok := stored.(map[string]any)
		if !ok {
			return []string{path}
		}
		var missing []string
		for k, v := range s {
			missing = append(missing, notIn(v, st[k], path+"."+k)...)
		}
		return missing
	case []any:
		st, ok := stored.([]any)
		if !ok || len(st) != len(s) {
			return []string{path}
		}
		var missing []string
		for i := range s {
			missing = append(missing, notIn(s[i], st[i], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return missing
	}
	if fmt.Sprint(sent) != fmt.Sprint(stored) {
		return []string{path}
	}
	return nil
}

// Every deliberate difference names the code that holds the policies to it, and that code exists.
func TestDeliberateDifferencesAreHeld(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var source strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		source.Write(b)
	}
	for _, d := range deliberateDifferences {
		if !strings.Contains(source.String(), "func "+d.heldBy+"(") {
			t.Errorf("%q is held by %s, which does not exist", d.what, d.heldBy)
		}
		t.Logf("%s (why: %s; held by %s)", d.what, d.why, d.heldBy)
	}
}

// notIn, which holds the policies to removing nothing, finds what is missing or changed.
func TestNotInFindsWhatIsMissing(t *testing.T) {
	sent := map[string]any{"a": map[string]any{"b": "x", "c": []any{"1", map[string]any{"d": true}}}, "e": 2.0}
	stored := map[string]any{"a": map[string]any{"b": "x", "c": []any{"1", map[string]any{}}, "extra": "fine"}, "e": 3.0}
	if diff := cmp.Diff([]string{"spec.a.c[1].d", "spec.e"}, sorted(notIn(sent, stored, "spec"))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := notIn(sent, sent, "spec"); len(got) != 0 {
		t.Errorf("an object lacks nothing of itself, got %v", got)
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	slices.Sort(s)
	return s
}
