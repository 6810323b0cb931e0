// Package server builds linkstate-webhook's server in one place (New): every reviewer on
// its path behind the body limit and the metrics decorator, TLS, health and readiness,
// metrics, and the drain on SIGTERM, run by a controller-runtime manager.
package server
