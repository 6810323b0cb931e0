package audit

import (
	"fmt"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
)

// New builds the audit of a cluster: the Leader (a manager runnable, to add on every
// replica) and the Scanner it runs while it holds the Lease. The scan talks to the API
// server through a client of its own (c.QPS).
//
// A judge that names the policies in force (Policies) also gets their status written:
// each policy's violations and first offenders.
func New(cfg *rest.Config, c Config, judge Judge) (*Leader, error) {
	scanConfig := rest.AddUserAgent(rest.CopyConfig(cfg), "linkstate-webhook-audit")
	scanConfig.QPS, scanConfig.Burst = float32(c.QPS), int(2*c.QPS)
	scheme := runtime.NewScheme()
	if err := reportsv1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("registering the OpenReports types: %w", err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("registering the LinkStatePolicy types: %w", err)
	}
	writes, err := client.New(scanConfig, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("creating the audit's client: %w", err)
	}
	scanner := NewScanner(judge, APIWriter{Client: writes}, NewCache(scanConfig), c.Scan)
	if p, ok := judge.(*Policies); ok {
		scanner.Status = &PolicyStatuses{Client: writes, Names: p.PolicyNames}
	}
	return NewLeader(cfg, c.Election, scanner)
}
