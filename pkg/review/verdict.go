package review

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
)

// Verdict is a reviewer's answer to one request, with the findings behind it.
type Verdict struct {
	admission.Response
	// Findings are the rule verdicts the response was made of, for metrics and logs.
	Findings finding.Findings
}

// Reviewer judges admission requests. Reviewers neither count nor log their decisions:
// the webhook server does that in one place when it registers them (pkg/server), so the
// offline check can call the very same reviewers without touching either.
type Reviewer interface {
	Review(ctx context.Context, req admission.Request) Verdict
}

// Answer is a verdict with no findings behind it: a request not judged, or malformed.
func Answer(resp admission.Response) Verdict { return Verdict{Response: resp} }

// Handler adapts r to controller-runtime's admission.Handler, keeping only the response.
func Handler(r Reviewer) admission.Handler {
	return admission.HandlerFunc(func(ctx context.Context, req admission.Request) admission.Response {
		return r.Review(ctx, req).Response
	})
}
