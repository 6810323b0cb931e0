package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
)

type unreachableVMIs struct{}

func (unreachableVMIs) GetVMI(context.Context, string, string) (*linkstate.Object, error) {
	return nil, errors.New("connection refused")
}

// Decisions, findings and VMI reads are counted where the reviewers are registered: once
// per review, with the rule IDs the reviewers report.
func TestHandlersCountDecisionsFindingsAndLookups(t *testing.T) {
	vmi := &linkstate.Object{Kind: linkstate.VirtualMachineInstance, Namespace: "ns", Name: "vm1"}
	vmi.Spec.Domain.Devices.Interfaces = []v1.Interface{{Name: "sec", State: "linkDown"}}
	vmis := migration.VMISet{}
	vmis.Add(vmi)
	cfg := linkstate.DefaultConfig()
	served := Handlers(linkstate.Static(cfg), migration.Options{VMIs: vmis, LookupTimeout: time.Second}, nil)
	unreachable := Handlers(linkstate.Static(cfg), migration.Options{VMIs: unreachableVMIs{}, LookupTimeout: time.Second}, nil)

	const (
		sriovDown = `{"metadata":{"name":"v"},"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"a","sriov":{},"state":"linkDown"},{"name":"b","bridge":{},"state":"up"}]}},"networks":[{"name":"a","multus":{"networkName":"x"}},{"name":"b","pod":{}}]}}}}`
		vmim      = `{"metadata":{"name":"m","namespace":"ns"},"spec":{"vmiName":"%s"}}`
	)
	tests := map[string]struct {
		handler http.Handler
		path    string
		kind    string
		object  string
		want    map[string]float64 // series -> increase
	}{
		"a denial counts its decision and each finding": {served[PathValidateVM], PathValidateVM, "VirtualMachine", sriovDown, map[string]float64{
			"decisions/validate-kubevirt-io-v1-virtualmachine/CREATE/denied": 1,
			"findings/B1/deny": 1,
		}},
		"a patch with an alias warning counts D2": {served[PathMutateVM], PathMutateVM, "VirtualMachine", sriovDown, map[string]float64{
			"decisions/mutate-kubevirt-io-v1-virtualmachine/CREATE/patched": 1,
			"findings/D2/warn": 1,
		}},
		"a stamped migration counts one VMI read": {served[PathMutateVMIM], PathMutateVMIM, "VirtualMachineInstanceMigration", strings.Replace(vmim, "%s", "vm1", 1), map[string]float64{
			"decisions/mutate-kubevirt-io-v1-virtualmachineinstancemigration/CREATE/patched": 1,
			"lookups/found": 1,
		}},
		"a missing VMI": {served[PathMutateVMIM], PathMutateVMIM, "VirtualMachineInstanceMigration", strings.Replace(vmim, "%s", "nope", 1), map[string]float64{
			"decisions/mutate-kubevirt-io-v1-virtualmachineinstancemigration/CREATE/warned": 1,
			"lookups/not_found": 1,
		}},
		"an unreachable API server": {unreachable[PathMutateVMIM], PathMutateVMIM, "VirtualMachineInstanceMigration", strings.Replace(vmim, "%s", "vm1", 1), map[string]float64{
			"lookups/error": 1,
		}},
		"a malformed object is an error": {served[PathValidateVMI], PathValidateVMI, "VirtualMachineInstance", `{"spec":{"domain":5}}`, map[string]float64{
			"decisions/validate-kubevirt-io-v1-virtualmachineinstance/CREATE/errored": 1,
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			before := map[string]float64{}
			for series := range tc.want {
				before[series] = value(series)
			}
			body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","namespace":"ns",` +
				`"kind":{"group":"kubevirt.io","version":"v1","kind":"` + tc.kind + `"},"object":` + tc.object + `}}`
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			tc.handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
			}
			for series, inc := range tc.want {
				if got := value(series) - before[series]; got != inc {
					t.Errorf("%s increased by %v, want %v", series, got, inc)
				}
			}
		})
	}
}

// value reads one series, named metric/label/label...
func value(series string) float64 {
	parts := strings.Split(series, "/")
	switch parts[0] {
	case "decisions":
		return testutil.ToFloat64(decisions.WithLabelValues(parts[1:]...))
	case "findings":
		return testutil.ToFloat64(findings.WithLabelValues(parts[1:]...))
	case "lookups":
		return testutil.ToFloat64(lookups.WithLabelValues(parts[1:]...))
	}
	panic("unknown metric " + series)
}
