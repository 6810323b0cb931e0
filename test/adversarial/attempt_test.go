package adversarial

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
)

// attempt is one way in: who runs which kubectl command, what kubectl must answer, and
// what the API server must have stored afterwards.
type attempt struct {
	// what the attempt tries, for the README table.
	what string
	as   *identity
	// args are kubectl's arguments, exactly as run (files are relative to workDir).
	args []string
	// prepare, if set, runs first: it writes a file made from what is stored, or waits
	// until the API server has taken in an earlier attempt's change.
	prepare func(t *testing.T)
	// webhookDown runs the attempt with the webhook binary stopped.
	webhookDown bool
	// exit is kubectl's expected exit status; says are fragments of what it must print.
	exit int
	says []string
	// stored is read back after the attempt.
	stored readBack
}

// readBack checks what the API server stored: arm runs before the attempt and returns
// the check to run after it; shows says what it proves, for the README table.
type readBack struct {
	shows string
	arm   func(t *testing.T) (verify func(t *testing.T))
}

// answer is what kubectl answers, for the README table.
func (a attempt) answer() string {
	quoted := make([]string, len(a.says))
	for i, s := range a.says {
		quoted[i] = "`" + s + "`"
	}
	says := strings.Join(quoted, " … ")
	switch {
	case a.exit == 0 && says == "":
		return "accepted"
	case a.exit == 0:
		return "accepted: " + says
	default:
		return fmt.Sprintf("refused (exit %d): %s", a.exit, says)
	}
}

func (a attempt) run(t *testing.T) {
	t.Helper()
	setWebhookRunning(t, !a.webhookDown)
	if a.prepare != nil {
		a.prepare(t)
	}
	verify := a.stored.arm(t)
	r := kubectl(t, a.as, a.args...)
	t.Logf("as %s: $ %s\n%s(exit status %d)", a.as.who, commandLine(a.args), r.out, r.code)
	if r.code != a.exit {
		t.Errorf("%s (as %s): exit status %d, want %d\n%s", commandLine(a.args), a.as.who, r.code, a.exit, r.out)
	}
	for _, s := range a.says {
		if !strings.Contains(r.out, s) {
			t.Errorf("%s (as %s): output lacks %q:\n%s", commandLine(a.args), a.as.who, s, r.out)
		}
	}
	verify(t)
}

// setWebhookRunning stops or starts the webhook binary as an attempt needs it.
func setWebhookRunning(t *testing.T, running bool) {
	t.Helper()
	switch {
	case running && env.WebhookAddr() == "":
		if err := env.StartWebhook(context.Background()); err != nil {
			t.Fatalf("starting the webhook again: %v", err)
		}
	case !running && env.WebhookAddr() != "":
		if err := env.StopWebhook(); err != nil {
			t.Fatalf("stopping the webhook: %v", err)
		}
	}
}

var (
	namespaceGVK = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	vmGVK        = schema.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachine"}
	vmiGVK       = vmGVK.GroupVersion().WithKind("VirtualMachineInstance")
	vmimGVK      = vmGVK.GroupVersion().WithKind("VirtualMachineInstanceMigration")
)

// read gets an object as the admin; nil if it does not exist.
func read(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	err := admin.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		t.Fatalf("reading %s %s: %v", gvk.Kind, name, err)
	}
	return u
}

func mustRead(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := read(t, gvk, ns, name)
	if u == nil {
		t.Fatalf("%s %s/%s does not exist", gvk.Kind, ns, name)
	}
	return u
}

// unchanged: the object is stored as it was before the attempt, resourceVersion and all
// (a write that changed nothing keeps it too).
func unchanged(gvk schema.GroupVersionKind, ns, name string) readBack {
	return readBack{
		shows: fmt.Sprintf("nothing: %s unchanged (same resourceVersion)", objectName(gvk, ns, name)),
		arm: func(t *testing.T) func(t *testing.T) {
			before := mustRead(t, gvk, ns, name).GetResourceVersion()
			return func(t *testing.T) {
				t.Helper()
				if after := mustRead(t, gvk, ns, name).GetResourceVersion(); after != before {
					t.Errorf("%s: resourceVersion %s, was %s: something was stored", objectName(gvk, ns, name), after, before)
				}
			}
		},
	}
}

// absent: no such object, before or after.
func absent(gvk schema.GroupVersionKind, ns, name string) readBack {
	check := func(t *testing.T) {
		t.Helper()
		if u := read(t, gvk, ns, name); u != nil {
			t.Errorf("%s exists (resourceVersion %s)", objectName(gvk, ns, name), u.GetResourceVersion())
		}
	}
	return readBack{
		shows: "nothing: no " + objectName(gvk, ns, name),
		arm:   func(t *testing.T) func(t *testing.T) { check(t); return check },
	}
}

// labelled: afterwards the namespace's opt-out label is value ("" for no label).
func labelled(ns, value string) readBack {
	shows := fmt.Sprintf("namespace %s labelled %s=%s", ns, optOutLabel, value)
	if value == "" {
		shows = fmt.Sprintf("namespace %s without the label", ns)
	}
	return readBack{
		shows: shows,
		arm: func(*testing.T) func(*testing.T) {
			return func(t *testing.T) {
				t.Helper()
				got, ok := mustRead(t, namespaceGVK, "", ns).GetLabels()[optOutLabel]
				if got != value || ok != (value != "") {
					t.Errorf("namespace %s: label %s=%q (present: %v), want %q", ns, optOutLabel, got, ok, value)
				}
			}
		},
	}
}

// vmLabelled: afterwards the VM has the label key=value, and nothing else changed in its spec.
func vmLabelled(ns, name, key, value string) readBack {
	return readBack{
		shows: fmt.Sprintf("vm %s/%s labelled %s=%s, its interfaces as before", ns, name, key, value),
		arm: func(t *testing.T) func(*testing.T) {
			before := interfaceStates(t, mustRead(t, vmGVK, ns, name))
			return func(t *testing.T) {
				t.Helper()
				u := mustRead(t, vmGVK, ns, name)
				if got := u.GetLabels()[key]; got != value {
					t.Errorf("vm %s/%s: label %s=%q, want %q", ns, name, key, got, value)
				}
				if got := interfaceStates(t, u); fmt.Sprint(got) != fmt.Sprint(before) {
					t.Errorf("vm %s/%s: interfaces %v, were %v", ns, name, got, before)
				}
			}
		},
	}
}

// vmStored: the VM exists, with the SR-IOV interface's state as sent.
func vmStored(ns, name, fastState string) readBack {
	return readBack{
		shows: fmt.Sprintf("vm %s/%s, with fast: %s as sent", ns, name, fastState),
		arm: func(t *testing.T) func(t *testing.T) {
			return func(t *testing.T) {
				t.Helper()
				if got := interfaceStates(t, mustRead(t, vmGVK, ns, name))["fast"]; got != fastState {
					t.Errorf("vm %s/%s: fast is %q, want %q", ns, name, got, fastState)
				}
			}
		},
	}
}

func objectName(gvk schema.GroupVersionKind, ns, name string) string {
	kind := strings.ToLower(gvk.Kind)
	if short, ok := shortKinds[gvk.Kind]; ok {
		kind = short
	}
	if ns == "" {
		return kind + " " + name
	}
	return kind + " " + ns + "/" + name
}

var shortKinds = map[string]string{"VirtualMachine": "vm", "VirtualMachineInstance": "vmi", "VirtualMachineInstanceMigration": "vmim"}

// interfaceStates are the states of a VM's (template) or VMI's interfaces, by name.
func interfaceStates(t *testing.T, u *unstructured.Unstructured) map[string]string {
	t.Helper()
	path := []string{"spec", "domain", "devices", "interfaces"}
	if u.GetKind() == "VirtualMachine" {
		path = append([]string{"spec", "template"}, path...)
	}
	list, _, err := unstructured.NestedSlice(u.Object, path...)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, i := range list {
		m, _ := i.(map[string]any)
		name, _ := m["name"].(string)
		state, _ := m["state"].(string)
		out[name] = state
	}
	return out
}

var (
	vapBindingGVK         = schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingAdmissionPolicyBinding"}
	validatingWebhooksGVK = schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingWebhookConfiguration"}
)

// stampAnnotations are the annotations of the migration stamp (rule M1).
var stampAnnotations = []string{"linkstate.kubevirt.io/interfaces", "linkstate.kubevirt.io/observed", "linkstate.kubevirt.io/signature"}

// stampedLike: the migration is stored with the stamp the webhook wrote on honest
// migration like of the same VMI — blue down, as the VMI has it — whatever was sent.
func stampedLike(ns, name, like string) readBack {
	return readBack{
		shows: fmt.Sprintf("vmim %s/%s, with the webhook's own stamp (blue linkDown, its signature) in place of the forged one", ns, name),
		arm: func(*testing.T) func(*testing.T) {
			return func(t *testing.T) {
				t.Helper()
				got, want := mustRead(t, vmimGVK, ns, name).GetAnnotations(), mustRead(t, vmimGVK, ns, like).GetAnnotations()
				for _, key := range stampAnnotations {
					if got[key] != want[key] || got[key] == "" {
						t.Errorf("vmim %s: %s=%q, want %q as on %s", name, key, got[key], want[key], like)
					}
				}
				if want := `"blue":"linkDown"`; !strings.Contains(got[stampAnnotations[0]], want) {
					t.Errorf("vmim %s: %s=%q, want it to carry %s, as the VMI has it", name, stampAnnotations[0], got[stampAnnotations[0]], want)
				}
			}
		},
	}
}

// waitWebhooksSkip waits until the webhooks skip namespace ns (skip) or judge it again:
// the API server matches a webhook's namespaceSelector against its cache of namespaces,
// which takes in a new label moments after it is stored. The probe is a server-side dry
// run, as the admin, of a VM the rules deny.
func waitWebhooksSkip(t *testing.T, ns string, skip bool) {
	t.Helper()
	probe := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifests["vm-sneaky.yaml"]), &probe.Object); err != nil {
		t.Fatal(err)
	}
	probe.SetName("probe")
	probe.SetNamespace(ns)
	testwait.Until(t, fmt.Sprintf("webhooks skip namespace %s: %v", ns, skip), 10*time.Second, func() error {
		err := admin.Create(context.Background(), probe.DeepCopy(), client.DryRunAll)
		if skipped := err == nil; skipped != skip {
			return fmt.Errorf("skipped: %v (%v)", skipped, err)
		}
		return nil
	})
}
