// Package review is what the validating and mutating handlers share: reading VMs and VMIs
// out of AdmissionRequests, the Invalid denial kubectl prints like built-in validation,
// and the service's own metrics.
package review
