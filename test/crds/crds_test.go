package crds_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/test/crds"
)

const ns = "default"

// One envtest control plane for the whole package, started lazily by the
// first test that needs it and stopped in TestMain.
var (
	envOnce sync.Once
	env     *envtest.Environment
	envCfg  *rest.Config
	envErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	}
	os.Exit(code)
}

// apiServer returns a rest.Config for the shared envtest API server that has
// the generated CRDs installed. It fails (never skips) the test when the
// control-plane binaries are not configured.
func apiServer(t *testing.T) *rest.Config {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: it must point at a directory with kube-apiserver, etcd and kubectl, e.g.\n" +
			"  KUBEBUILDER_ASSETS=$PWD/.cache/envtest/k8s-1.34.4-etcd-3.6.5 go test ./test/crds/ -count=1 -v")
	}
	envOnce.Do(func() {
		objs, err := crds.Objects()
		if err != nil {
			envErr = err
			return
		}
		e := &envtest.Environment{
			CRDInstallOptions: envtest.CRDInstallOptions{CRDs: objs},
		}
		start := time.Now()
		cfg, err := e.Start()
		if err != nil {
			envErr = fmt.Errorf("starting envtest (KUBEBUILDER_ASSETS=%s): %w", os.Getenv("KUBEBUILDER_ASSETS"), err)
			return
		}
		env, envCfg = e, cfg
		t.Logf("envtest started in %s", time.Since(start).Round(time.Millisecond))
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	return rest.CopyConfig(envCfg)
}

func newClient(t *testing.T, cfg *rest.Config) client.Client {
	t.Helper()
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatalf("creating client: %v", err)
	}
	return c
}

// warningRecorder collects API server warnings (e.g. deprecation warnings).
type warningRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningRecorder) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warningRecorder) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

func fromYAML(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(s), &u.Object); err != nil {
		t.Fatalf("bad test object: %v", err)
	}
	return u
}

// vm returns a minimal VirtualMachine; state is inserted verbatim as the
// YAML value of spec.template.spec.domain.devices.interfaces[0].state.
func vm(t *testing.T, apiVersion, name, state string) *unstructured.Unstructured {
	return fromYAML(t, fmt.Sprintf(`
apiVersion: %s
kind: VirtualMachine
metadata:
  name: %s
  namespace: default
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices:
          interfaces:
          - name: default
            masquerade: {}
            state: %s
      networks:
      - name: default
        pod: {}
`, apiVersion, name, state))
}

func vmi(t *testing.T, name string) *unstructured.Unstructured {
	return fromYAML(t, fmt.Sprintf(`
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: %s
  namespace: default
spec:
  domain:
    devices:
      interfaces:
      - name: default
        masquerade: {}
        state: down
  networks:
  - name: default
    pod: {}
`, name))
}

func get(t *testing.T, c client.Client, apiVersion, kind, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("get %s %s %s: %v", apiVersion, kind, name, err)
	}
	return u
}

func firstInterface(t *testing.T, u *unstructured.Unstructured, path ...string) map[string]any {
	t.Helper()
	list, found, err := unstructured.NestedSlice(u.Object, path...)
	if err != nil || !found || len(list) == 0 {
		t.Fatalf("%s: no %s in stored object (found=%v, err=%v): %v", u.GetName(), strings.Join(path, "."), found, err, u.Object)
	}
	m, ok := list[0].(map[string]any)
	if !ok {
		t.Fatalf("%s: %s[0] is %T", u.GetName(), strings.Join(path, "."), list[0])
	}
	return m
}

// expectInvalid asserts err is a 422 Invalid (schema validation failure)
// from the API server whose message mentions all of wants.
func expectInvalid(t *testing.T, err error, wants ...string) {
	t.Helper()
	expectRejected(t, err, metav1.StatusReasonInvalid, wants...)
}

// expectRejected asserts err is an API status error with the given reason
// whose message mentions all of wants.
func expectRejected(t *testing.T, err error, reason metav1.StatusReason, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected the API server to reject the object, but it was accepted")
	}
	if got := apierrors.ReasonForError(err); got != reason {
		t.Fatalf("expected a %s error, got %v (reason %q)", reason, err, got)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("rejection message %q does not mention %q", err.Error(), w)
		}
	}
	t.Logf("rejected as expected: %v", err)
}

// ---------------------------------------------------------------------------
// Tests that need no API server.

func TestObjectsShape(t *testing.T) {
	objs, err := crds.Objects()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		kind       string
		shortNames string
	}{
		"virtualmachines.kubevirt.io":                  {"VirtualMachine", "vm,vms"},
		"virtualmachineinstances.kubevirt.io":          {"VirtualMachineInstance", "vmi,vmis"},
		"virtualmachineinstancemigrations.kubevirt.io": {"VirtualMachineInstanceMigration", "vmim,vmims"},
	}
	if len(objs) != len(want) {
		t.Fatalf("got %d CRDs, want %d", len(objs), len(want))
	}
	for _, crd := range objs {
		w, ok := want[crd.Name]
		if !ok {
			t.Fatalf("unexpected CRD %q", crd.Name)
		}
		n := crd.Spec.Names
		if n.Kind != w.kind || n.ListKind != w.kind+"List" || strings.Join(n.ShortNames, ",") != w.shortNames ||
			crd.Spec.Group != "kubevirt.io" || crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
			t.Errorf("%s: unexpected names/group/scope: %+v %s %s", crd.Name, n, crd.Spec.Group, crd.Spec.Scope)
		}
		if len(crd.Spec.Versions) != 2 {
			t.Fatalf("%s: %d versions, want 2", crd.Name, len(crd.Spec.Versions))
		}
		v1, v1a3 := crd.Spec.Versions[0], crd.Spec.Versions[1]
		if v1.Name != "v1" || !v1.Served || !v1.Storage || v1a3.Name != "v1alpha3" || !v1a3.Served || v1a3.Storage {
			t.Errorf("%s: unexpected versions v1=%v/%v/%v v1alpha3=%v/%v/%v", crd.Name,
				v1.Name, v1.Served, v1.Storage, v1a3.Name, v1a3.Served, v1a3.Storage)
		}
		for _, v := range crd.Spec.Versions {
			// KubeVirt gives VMIs no status subresource; VMs and VMIMs have one.
			wantStatus := crd.Spec.Names.Kind != "VirtualMachineInstance"
			if hasStatus := v.Subresources != nil && v.Subresources.Status != nil; hasStatus != wantStatus {
				t.Errorf("%s %s: status subresource = %v, want %v", crd.Name, v.Name, hasStatus, wantStatus)
			}
			s := v.Schema.OpenAPIV3Schema
			for _, p := range []string{"spec", "status"} {
				prop, ok := s.Properties[p]
				if !ok || len(prop.Properties) == 0 {
					t.Errorf("%s %s: %s has no properties in the schema", crd.Name, v.Name, p)
				}
				if prop.XPreserveUnknownFields != nil && *prop.XPreserveUnknownFields {
					t.Errorf("%s %s: %s preserves unknown fields", crd.Name, v.Name, p)
				}
			}
		}
	}
	// Objects returns copies: mutating one must not affect the next call.
	objs[0].Spec.Versions = nil
	again, err := crds.Objects()
	if err != nil {
		t.Fatal(err)
	}
	if len(again[0].Spec.Versions) != 2 {
		t.Errorf("Objects returned shared state: mutation leaked into a later call")
	}
}

// TestInterfaceStateSchema documents what KubeVirt's schema says about the
// fields the webhook cares about: interfaces[].state is a plain string with
// no enum, so only a webhook can reject an unsupported value.
func TestInterfaceStateSchema(t *testing.T) {
	objs, err := crds.Objects()
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range objs {
		if crd.Spec.Names.Kind != "VirtualMachine" {
			continue
		}
		s := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
		for _, p := range []string{"spec", "template", "spec", "domain", "devices", "interfaces"} {
			next, ok := s.Properties[p]
			if !ok {
				t.Fatalf("VM schema has no property %q", p)
			}
			s = &next
		}
		if s.Items == nil || s.Items.Schema == nil {
			t.Fatal("VM schema: interfaces has no items schema")
		}
		state, ok := s.Items.Schema.Properties["state"]
		if !ok {
			t.Fatal("VM schema: interfaces[] has no state property")
		}
		if state.Type != "string" || len(state.Enum) != 0 || state.Pattern != "" {
			t.Errorf("interfaces[].state: type=%q enum=%v pattern=%q, want a plain string", state.Type, state.Enum, state.Pattern)
		}
		return
	}
	t.Fatal("no VirtualMachine CRD")
}

func TestGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "out")
	paths, err := crds.Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("Generate returned %d paths, want 3: %v", len(paths), paths)
	}
	objs, err := crds.Objects()
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		if filepath.Dir(p) != dir {
			t.Errorf("%s is not in %s", p, dir)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var got apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &got); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if got.Kind != "CustomResourceDefinition" || got.Name != objs[i].Name {
			t.Errorf("%s: got %s %q, want CustomResourceDefinition %q", p, got.Kind, got.Name, objs[i].Name)
		}
		if strings.Contains(string(data), "\nstatus:") {
			t.Errorf("%s: contains a top-level status", p)
		}
		if !equalJSON(t, got.Spec, objs[i].Spec) {
			t.Errorf("%s: spec does not round-trip to Objects()", p)
		}
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := yaml.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := yaml.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

// ---------------------------------------------------------------------------
// Tests against a real kube-apiserver (envtest).

// 1. A non-string interface state is rejected by the schema.
func TestAPIServerRejectsNonStringState(t *testing.T) {
	c := newClient(t, apiServer(t))
	err := c.Create(context.Background(), vm(t, "kubevirt.io/v1", "vm-state-number", "5"))
	expectInvalid(t, err, "spec.template.spec.domain.devices.interfaces[0].state", "string")
}

// 2. Unknown fields under spec are rejected with strict field validation,
// and pruned (not stored) without it: spec is not preserve-unknown-fields.
func TestAPIServerStrictUnknownField(t *testing.T) {
	c := newClient(t, apiServer(t))
	ctx := context.Background()

	obj := vm(t, "kubevirt.io/v1", "vm-unknown-field", "up")
	if err := unstructured.SetNestedField(obj.Object, "x", "spec", "notAKubeVirtField"); err != nil {
		t.Fatal(err)
	}
	// Strict field validation failures are 400 BadRequest ("strict decoding
	// error"), not 422 Invalid.
	err := c.Create(ctx, obj.DeepCopy(), client.FieldValidation("Strict"))
	expectRejected(t, err, metav1.StatusReasonBadRequest, `unknown field "spec.notAKubeVirtField"`)

	// Same for a field deep inside the template.
	deep := vm(t, "kubevirt.io/v1", "vm-unknown-deep", "up")
	first := firstInterface(t, deep, "spec", "template", "spec", "domain", "devices", "interfaces")
	first["linkState"] = "down" // a status field name, not a spec one
	if err := unstructured.SetNestedSlice(deep.Object, []any{first}, "spec", "template", "spec", "domain", "devices", "interfaces"); err != nil {
		t.Fatal(err)
	}
	err = c.Create(ctx, deep, client.FieldValidation("Strict"), client.DryRunAll)
	expectRejected(t, err, metav1.StatusReasonBadRequest, `unknown field "spec.template.spec.domain.devices.interfaces[0].linkState"`)

	// Without strict validation the object is accepted and the field pruned.
	if err := c.Create(ctx, obj); err != nil {
		t.Fatalf("non-strict create: %v", err)
	}
	stored := get(t, c, "kubevirt.io/v1", "VirtualMachine", obj.GetName())
	if _, found, _ := unstructured.NestedFieldNoCopy(stored.Object, "spec", "notAKubeVirtField"); found {
		t.Errorf("unknown field was stored instead of pruned: spec is not validated structurally")
	}
}

// 3. Any string is a valid state as far as the schema goes, and it is stored as-is.
func TestAPIServerAcceptsAnyStateString(t *testing.T) {
	c := newClient(t, apiServer(t))
	obj := vm(t, "kubevirt.io/v1", "vm-state-sideways", "sideways")
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatalf("state: sideways was rejected by the schema: %v", err)
	}
	stored := get(t, c, "kubevirt.io/v1", "VirtualMachine", obj.GetName())
	iface := firstInterface(t, stored, "spec", "template", "spec", "domain", "devices", "interfaces")
	if iface["state"] != "sideways" {
		t.Errorf("stored state = %#v, want \"sideways\"", iface["state"])
	}
}

// 4. The status subresource works for VMs; VMI status is written with the object, as
// virt-handler does (KubeVirt's VMI CRD has no status subresource).
func TestAPIServerStatusSubresource(t *testing.T) {
	c := newClient(t, apiServer(t))
	ctx := context.Background()

	// VM: status.created via /status.
	obj := vm(t, "kubevirt.io/v1", "vm-status", "up")
	if err := unstructured.SetNestedField(obj.Object, true, "status", "created"); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, obj); err != nil {
		t.Fatalf("create VM: %v", err)
	}
	stored := get(t, c, "kubevirt.io/v1", "VirtualMachine", obj.GetName())
	if _, found, _ := unstructured.NestedFieldNoCopy(stored.Object, "status", "created"); found {
		t.Errorf("status was stored on create: the status subresource is not enabled")
	}
	if err := unstructured.SetNestedField(stored.Object, true, "status", "created"); err != nil {
		t.Fatal(err)
	}
	if err := c.Status().Update(ctx, stored); err != nil {
		t.Fatalf("update VM status: %v", err)
	}
	stored = get(t, c, "kubevirt.io/v1", "VirtualMachine", obj.GetName())
	if created, _, _ := unstructured.NestedBool(stored.Object, "status", "created"); !created {
		t.Errorf("status.created was not stored: %v", stored.Object["status"])
	}
	// The schema also applies to /status.
	bad := stored.DeepCopy()
	if err := unstructured.SetNestedField(bad.Object, "yes", "status", "created"); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, c.Status().Update(ctx, bad), "status.created", "boolean")

	// VMI: status.interfaces[0].linkState through a plain update; /status does not exist.
	inst := vmi(t, "vmi-status")
	if err := c.Create(ctx, inst); err != nil {
		t.Fatalf("create VMI: %v", err)
	}
	iface := map[string]any{"name": "default", "linkState": "down"}
	if err := unstructured.SetNestedSlice(inst.Object, []any{iface}, "status", "interfaces"); err != nil {
		t.Fatal(err)
	}
	if err := c.Status().Update(ctx, inst.DeepCopy()); !apierrors.IsNotFound(err) {
		t.Errorf("VMI /status update: err = %v, want NotFound (KubeVirt's VMI has no status subresource)", err)
	}
	if err := c.Update(ctx, inst); err != nil {
		t.Fatalf("update VMI with status: %v", err)
	}
	storedVMI := get(t, c, "kubevirt.io/v1", "VirtualMachineInstance", inst.GetName())
	if got := firstInterface(t, storedVMI, "status", "interfaces")["linkState"]; got != "down" {
		t.Errorf("stored status.interfaces[0].linkState = %#v, want \"down\"", got)
	}
	if got := firstInterface(t, storedVMI, "spec", "domain", "devices", "interfaces")["state"]; got != "down" {
		t.Errorf("stored spec...interfaces[0].state = %#v, want \"down\"", got)
	}
}

// 5. VMIM with spec.vmiName is accepted, and v1alpha3 is served for all three.
func TestAPIServerMigrationAndV1alpha3(t *testing.T) {
	cfg := apiServer(t)
	warnings := &warningRecorder{}
	cfg.WarningHandlerWithContext = warnings
	c := newClient(t, cfg)
	ctx := context.Background()

	mig := fromYAML(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstanceMigration
metadata:
  name: vmim-1
  namespace: default
spec:
  vmiName: vmi-1
`)
	if err := c.Create(ctx, mig); err != nil {
		t.Fatalf("create VMIM: %v", err)
	}
	badMig := fromYAML(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstanceMigration
metadata:
  name: vmim-bad
  namespace: default
spec:
  vmiName: 7
`)
	expectInvalid(t, c.Create(ctx, badMig, client.DryRunAll), "spec.vmiName", "string")

	// Read the v1 object back through v1alpha3.
	old := get(t, c, "kubevirt.io/v1alpha3", "VirtualMachineInstanceMigration", "vmim-1")
	if old.GetAPIVersion() != "kubevirt.io/v1alpha3" {
		t.Errorf("got apiVersion %q, want kubevirt.io/v1alpha3", old.GetAPIVersion())
	}
	if name, _, _ := unstructured.NestedString(old.Object, "spec", "vmiName"); name != "vmi-1" {
		t.Errorf("v1alpha3 spec.vmiName = %q, want vmi-1", name)
	}

	// Create through v1alpha3 (same schema: validation applies there too).
	if err := c.Create(ctx, vm(t, "kubevirt.io/v1alpha3", "vm-v1alpha3", "up")); err != nil {
		t.Fatalf("create v1alpha3 VM: %v", err)
	}
	expectInvalid(t, c.Create(ctx, vm(t, "kubevirt.io/v1alpha3", "vm-v1alpha3-bad", "5"), client.DryRunAll),
		"spec.template.spec.domain.devices.interfaces[0].state")
	get(t, c, "kubevirt.io/v1", "VirtualMachine", "vm-v1alpha3")

	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(schema.GroupVersionKind{Group: "kubevirt.io", Version: "v1alpha3", Kind: "VirtualMachineInstanceList"})
	if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatalf("list v1alpha3 VMIs: %v", err)
	}

	if w := warnings.all(); !strings.Contains(w, "kubevirt.io/v1alpha3 is now deprecated") {
		t.Errorf("no v1alpha3 deprecation warning from the API server; warnings: %q", w)
	}
}
