package server

import (
	"net/http"
	"strings"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/mutate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// Reviewers maps each served path to its reviewer. The VM and VMI validating reviewers
// apply policies (nil: none) on top of the rules.
func Reviewers(rules linkstate.Source, migrations migration.Options, policies policy.Source) map[string]review.Reviewer {
	return map[string]review.Reviewer{
		PathMutateVM:     &mutate.Reviewer{Kind: linkstate.VirtualMachine, Rules: rules},
		PathValidateVM:   &validate.Reviewer{Kind: linkstate.VirtualMachine, Rules: rules, Policies: policies},
		PathMutateVMI:    &mutate.Reviewer{Kind: linkstate.VirtualMachineInstance, Rules: rules},
		PathValidateVMI:  &validate.Reviewer{Kind: linkstate.VirtualMachineInstance, Rules: rules, Policies: policies},
		PathMutateVMIM:   &migration.Mutator{Rules: rules, Options: migrations},
		PathValidateVMIM: &migration.Validator{Rules: rules, Options: migrations},
	}
}

// Handlers are the HTTP handlers the server serves, by path: behind a limit on the
// review's size, a ReviewHandler decodes and encodes AdmissionReviews as controller-runtime's
// admission.Webhook does (which still recovers panics), and instrument counts what each
// reviewer decides. VMI reads of the migration reviewers are counted too.
func Handlers(rules linkstate.Source, migrations migration.Options, policies policy.Source) map[string]http.Handler {
	if migrations.VMIs != nil {
		migrations.VMIs = countedVMIs{migrations.VMIs}
	}
	handlers := map[string]http.Handler{}
	for path, r := range Reviewers(rules, migrations, policies) {
		handlers[path] = LimitBody(NewReviewHandler(instrument(name(path), r)), MaxReviewBytes)
	}
	return handlers
}

func name(path string) string { return strings.TrimPrefix(path, "/") }
