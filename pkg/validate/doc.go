// Package validate holds linkstate-webhook's validation rules (the README's V1, B1–B5, A1,
// A2, P1, T1 and T2) as pure functions from typed KubeVirt specs to findings, and the
// reviewer that decodes a request, calls them and answers.
package validate
