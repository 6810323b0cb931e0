package server

import (
	"net/http"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/mutate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/review"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// Registrar is the part of controller-runtime's webhook.Server that Register needs.
type Registrar interface {
	Register(path string, hook http.Handler)
}

// Handlers maps each VM and VMI path to its admission handler.
func Handlers(cfg linkstate.Config) map[string]admission.Handler {
	return map[string]admission.Handler{
		PathMutateVM:    &mutate.Handler{Kind: linkstate.VirtualMachine, Config: cfg, Name: name(PathMutateVM)},
		PathValidateVM:  &validate.Handler{Kind: linkstate.VirtualMachine, Config: cfg, Name: name(PathValidateVM)},
		PathMutateVMI:   &mutate.Handler{Kind: linkstate.VirtualMachineInstance, Config: cfg, Name: name(PathMutateVMI)},
		PathValidateVMI: &validate.Handler{Kind: linkstate.VirtualMachineInstance, Config: cfg, Name: name(PathValidateVMI)},
	}
}

// MigrationOptions are the settings of the migration webhooks, which read the VMI a
// migration names.
type MigrationOptions struct {
	VMIs          review.VMIGetter
	LookupTimeout time.Duration
	LookupFailure linkstate.Action
	Exempt        validate.Exemptions
}

// DefaultLookupTimeout leaves room within the shipped timeoutSeconds (5) for the rest of
// the review and the network.
const DefaultLookupTimeout = 2 * time.Second

// MigrationHandlers maps the VMIM paths to their admission handlers.
func MigrationHandlers(cfg linkstate.Config, opts MigrationOptions) map[string]admission.Handler {
	return map[string]admission.Handler{
		PathMutateVMIM: &mutate.MigrationHandler{Config: cfg, VMIs: opts.VMIs, LookupTimeout: opts.LookupTimeout,
			LookupFailure: opts.LookupFailure, Name: name(PathMutateVMIM)},
		PathValidateVMIM: &validate.MigrationHandler{Config: cfg, VMIs: opts.VMIs, LookupTimeout: opts.LookupTimeout,
			Exempt: opts.Exempt, Name: name(PathValidateVMIM)},
	}
}

// Register serves the VM and VMI handlers on srv.
func Register(srv Registrar, cfg linkstate.Config) {
	register(srv, Handlers(cfg))
}

// RegisterMigrations serves the VMIM handlers on srv.
func RegisterMigrations(srv Registrar, cfg linkstate.Config, opts MigrationOptions) {
	register(srv, MigrationHandlers(cfg, opts))
}

// register wraps each handler in controller-runtime's admission.Webhook, which decodes and
// encodes AdmissionReviews, recovers panics and counts requests per path, behind a limit
// on the review's size.
func register(srv Registrar, handlers map[string]admission.Handler) {
	for path, h := range handlers {
		srv.Register(path, LimitBody(&admission.Webhook{Handler: h}, MaxReviewBytes))
	}
}

func name(path string) string { return strings.TrimPrefix(path, "/") }
