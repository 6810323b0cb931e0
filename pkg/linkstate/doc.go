// Package linkstate is the vocabulary of linkstate-webhook: the values an interface's
// state may take in each dialect, how an interface is bound to the guest, which network
// is the default one, and the cluster settings that decide which bindings apply link state.
//
// Everything here is pure: no I/O, no clocks, no globals that change.
package linkstate
