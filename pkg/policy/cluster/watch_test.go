package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
)

func lsp(name string, spec v1alpha1.LinkStatePolicySpec) *v1alpha1.LinkStatePolicy {
	return &v1alpha1.LinkStatePolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
}

func namespace(name string, l map[string]string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
}

// The event handlers keep the Set: a policy added, replaced, deleted (also as a tombstone);
// one that cannot be compiled applies to nothing.
func TestPolicyEventsPublishTheSet(t *testing.T) {
	w := newWatch(logr.Discard())
	names := func() []string { return w.policies.Load().Names() }
	w.upsert(lsp("b", v1alpha1.LinkStatePolicySpec{ProtectedNetworks: []v1alpha1.NetworkName{"pod"}}))
	w.upsert(lsp("a", v1alpha1.LinkStatePolicySpec{}))
	if diff := cmp.Diff([]string{"a", "b"}, names()); diff != "" {
		t.Errorf("after two adds (-want +got):\n%s", diff)
	}
	bad := lsp("b", v1alpha1.LinkStatePolicySpec{NamespaceSelector: &v1alpha1.LabelSelector{MatchLabels: map[string]v1alpha1.LabelValue{"bad key!": "x"}}})
	w.upsert(bad)
	if diff := cmp.Diff([]string{"a"}, names()); diff != "" {
		t.Errorf("after b became invalid (-want +got):\n%s", diff)
	}
	w.remove(toolscache.DeletedFinalStateUnknown{Key: "a", Obj: lsp("a", v1alpha1.LinkStatePolicySpec{})})
	if got := names(); len(got) != 0 {
		t.Errorf("after deleting a: %v, want none", got)
	}
}

// A namespace's labels come with the name label; a namespace not seen yet is waited for,
// then judged with its name label only.
func TestNamespaceLabels(t *testing.T) {
	w := newWatch(logr.Discard())
	w.setNamespace(namespace("team-a", map[string]string{"tenant": "true"}))
	got, err := w.NamespaceLabels(context.Background(), "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(labels.Set{"tenant": "true", "kubernetes.io/metadata.name": "team-a"}, got); diff != "" {
		t.Errorf("team-a (-want +got):\n%s", diff)
	}

	// team-b arrives while a review waits for it.
	go func() {
		time.Sleep(100 * time.Millisecond)
		w.setNamespace(namespace("team-b", map[string]string{"tenant": "true"}))
	}()
	if got, _ := w.NamespaceLabels(context.Background(), "team-b"); got["tenant"] != "true" {
		t.Errorf("team-b, created while the review waited: %v, want its labels", got)
	}

	w.removeNamespace(toolscache.DeletedFinalStateUnknown{Obj: namespace("team-a", nil)})
	got, err = w.NamespaceLabels(context.Background(), "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(labels.Set{"kubernetes.io/metadata.name": "team-a"}, got); diff != "" {
		t.Errorf("a namespace never seen (-want +got):\n%s", diff)
	}
}

// Before the first lists, reviews wait a little, then get an error: never an empty Set.
func TestPoliciesBeforeTheFirstLists(t *testing.T) {
	w := newWatch(logr.Discard())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if set, err := w.Policies(ctx); err == nil {
		t.Errorf("Policies before the first lists: %v, want an error", set.Names())
	}
	if err := w.Checker()(nil); err == nil {
		t.Error("ready before the first lists")
	}
	close(w.synced)
	if _, err := w.Policies(context.Background()); err != nil {
		t.Errorf("Policies once loaded: %v", err)
	}
	if err := w.Checker()(nil); err != nil {
		t.Errorf("not ready once loaded: %v", err)
	}
}

// The cache keeps namespaces' names and labels only.
func TestCacheTransformKeepsNameAndLabels(t *testing.T) {
	in := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
		Name: "team-a", Labels: map[string]string{"tenant": "true"}, ResourceVersion: "7",
		Annotations:   map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{...}"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
	}}
	out, err := CacheOptions().DefaultTransform(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: map[string]string{"tenant": "true"}, ResourceVersion: "7"}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("transformed (-want +got):\n%s", diff)
	}
	p := lsp("p", v1alpha1.LinkStatePolicySpec{})
	p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	if out, _ := CacheOptions().DefaultTransform(p); out.(*v1alpha1.LinkStatePolicy).ManagedFields != nil {
		t.Error("a cached policy keeps its managedFields")
	}
}
