package server

import (
	"net/http"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/mutate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/validate"
)

// Registrar is the part of controller-runtime's webhook.Server that Register needs.
type Registrar interface {
	Register(path string, hook http.Handler)
}

// Handlers maps each served path to its admission handler.
func Handlers(cfg linkstate.Config) map[string]admission.Handler {
	return map[string]admission.Handler{
		PathMutateVM:    &mutate.Handler{Kind: linkstate.VirtualMachine, Config: cfg, Name: name(PathMutateVM)},
		PathValidateVM:  &validate.Handler{Kind: linkstate.VirtualMachine, Config: cfg, Name: name(PathValidateVM)},
		PathMutateVMI:   &mutate.Handler{Kind: linkstate.VirtualMachineInstance, Config: cfg, Name: name(PathMutateVMI)},
		PathValidateVMI: &validate.Handler{Kind: linkstate.VirtualMachineInstance, Config: cfg, Name: name(PathValidateVMI)},
	}
}

// Register serves every handler on srv. controller-runtime's admission.Webhook does the
// AdmissionReview decoding and encoding, recovers panics and counts requests per path.
func Register(srv Registrar, cfg linkstate.Config) {
	for path, h := range Handlers(cfg) {
		srv.Register(path, &admission.Webhook{Handler: h})
	}
}

func name(path string) string { return strings.TrimPrefix(path, "/") }
