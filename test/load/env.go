package load

import (
	"context"
	"fmt"
	"io"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

// StartAPIServer starts envtest's kube-apiserver and etcd (with KubeVirt's CRDs, and the
// OpenReports CRDs the audit writes Reports with) for the webhook binary's manager to talk
// to, and builds the binary, without registering any webhook: measurements post to the
// binary directly. The harness's own webhook process is
// stopped; callers start theirs with harness.StartWebhook, their flags and their
// certificates (internal/testpki makes them).
func StartAPIServer(ctx context.Context, log io.Writer) (*harness.Env, error) {
	env, err := harness.Start(ctx, harness.Options{
		WebhookLog: log,
		CRDPaths:   []string{harness.OpenReportsCRDs()},
		Webhooks: func([]*admissionregistrationv1.MutatingWebhookConfiguration, []*admissionregistrationv1.ValidatingWebhookConfiguration) (
			[]*admissionregistrationv1.MutatingWebhookConfiguration, []*admissionregistrationv1.ValidatingWebhookConfiguration) {
			return nil, nil
		},
	})
	if err == nil {
		err = env.StopWebhook()
	}
	if err != nil {
		if env != nil {
			_ = env.Stop()
		}
		return nil, fmt.Errorf("starting the API server: %w", err)
	}
	return env, nil
}
