// Package review is what every admission reviewer shares: reading VMs and VMIs out of
// AdmissionRequests, screening requests no rule needs to see, the Invalid denial kubectl
// prints like built-in validation, and the Verdict a reviewer answers with.
package review
