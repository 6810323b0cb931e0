package dialect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Creator creates objects; a controller-runtime client is one.
type Creator interface {
	Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error
}

// Prober asks the cluster which spellings its KubeVirt accepts.
type Prober struct {
	Client Creator
	// Namespace is where the probe VM is (not) created: the service's own namespace, which
	// its own webhooks skip, so that only KubeVirt judges the probe.
	Namespace string
}

// Answer is what the cluster said of one spelling.
type Answer string

const (
	// Accepted: the dry-run create of a VM with that spelling went through.
	Accepted Answer = "accepted"
	// Refused: it was denied, and the denial named the interface's state.
	Refused Answer = "refused"
	// Unknown: it failed for another reason (no answer, no KubeVirt CRD, no permission, a
	// denial about something else): not evidence either way.
	Unknown Answer = "unknown"
)

// Evidence is the answer for each spelling tried, and why.
type Evidence struct {
	Seed, Upstream             Answer
	SeedReason, UpstreamReason string
}

func (e Evidence) String() string {
	return fmt.Sprintf("linkDown %s%s; down %s%s", e.Seed, reason(e.SeedReason), e.Upstream, reason(e.UpstreamReason))
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

// Probe tries linkDown, then down, each as a server-side dry run: nothing is stored.
func (p Prober) Probe(ctx context.Context) Evidence {
	var e Evidence
	e.Seed, e.SeedReason = p.try(ctx, linkstate.SeedDown)
	e.Upstream, e.UpstreamReason = p.try(ctx, linkstate.UpstreamDown)
	return e
}

func (p Prober) try(ctx context.Context, state v1.InterfaceState) (Answer, string) {
	err := p.Client.Create(ctx, ProbeVM(p.Namespace, state), client.DryRunAll)
	return classify(err)
}

// probeStatePath is the field a denial of the probe's spelling names.
const probeStatePath = "spec.template.spec.domain.devices.interfaces[0].state"

// classify reads a create's error: a denial whose cause (or, lacking causes, whose
// message) names the interface's state refuses the spelling; anything else says nothing.
func classify(err error) (Answer, string) {
	if err == nil {
		return Accepted, ""
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		s := status.Status()
		if s.Details != nil {
			for _, c := range s.Details.Causes {
				if c.Field == probeStatePath {
					return Refused, c.Message
				}
			}
		}
		if (s.Code == 422 || s.Code == 400 || s.Code == 403) && strings.Contains(s.Message, probeStatePath) {
			return Refused, s.Message
		}
	}
	return Unknown, err.Error()
}

// ProbeVM is a VM KubeVirt accepts whatever the cluster's instance types, storage or
// defaults: halted, no disks, a fixed guest memory, one masquerade interface on the pod
// network with the spelling under test.
func ProbeVM(namespace string, state v1.InterfaceState) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubevirt.io/v1",
		"kind":       "VirtualMachine",
		"metadata": map[string]any{
			"generateName": "linkstate-dialect-probe-",
			"namespace":    namespace,
			"labels":       map[string]any{"app.kubernetes.io/managed-by": "linkstate-webhook"},
		},
		"spec": map[string]any{
			"runStrategy": "Halted",
			"template": map[string]any{
				"spec": map[string]any{
					"domain": map[string]any{
						"memory": map[string]any{"guest": "64Mi"},
						"devices": map[string]any{
							"interfaces": []any{map[string]any{"name": "default", "masquerade": map[string]any{}, "state": string(state)}},
						},
					},
					"networks": []any{map[string]any{"name": "default", "pod": map[string]any{}}},
				},
			},
		},
	}}
}
