// Package server wires the admission handlers to their HTTP paths, and holds the TLS and
// health settings of the webhook server. cmd/webhook runs it inside a controller-runtime
// manager; tests run it on a bare webhook.Server.
package server
