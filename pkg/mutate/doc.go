// Package mutate holds linkstate-webhook's defaulting (DESIGN.md: D1, D2) as a pure
// function from a VMI spec to its defaulted interfaces, the targeted JSON patch that
// carries the difference, and the admission handler that serves it.
package mutate
