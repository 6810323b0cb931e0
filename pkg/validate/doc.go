// Package validate holds linkstate-webhook's validation rules (DESIGN.md: V1, B1–B5, A1,
// A2, P1, T1, T2) as pure functions from typed KubeVirt specs to findings, and the
// admission handler that decodes a request, calls them and encodes the answer.
package validate
