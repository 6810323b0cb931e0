// Package mutate holds linkstate-webhook's defaulting (the README's D1 and D2) as a pure
// function from a VMI spec to its defaulted interfaces, the targeted JSON patch that
// carries the difference, and the reviewer that serves it.
package mutate
