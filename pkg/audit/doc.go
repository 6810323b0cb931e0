// Package audit judges what already runs: every VirtualMachine and VirtualMachineInstance
// in the cluster, against the built-in rules and every LinkStatePolicy (all modes; through
// the Judge seam), and publishes the answer as OpenReports
// (openreports.io/v1alpha1 Report), one per object with findings, owner-referenced so it
// goes with the object.
//
// The parts, from pure to live:
//   - results.go, report.go: findings → results → a Report and its content hash (pure);
//   - judge.go, policies.go: the Judge seam, the built-in judge and the one that adds the
//     LinkStatePolicies (and asks for a rescan when they change);
//   - transform.go: what the informer caches keep of a VM or VMI (only what rules read);
//   - index.go: who violates what, for the gauges and the policies' offenders;
//   - status.go: each policy's status.violations and first offenders;
//   - writer.go: Reports created, updated and deleted through the API server;
//   - scanner.go: informers, a work queue and its own workers (never admission's), full
//     rescans;
//   - leader.go: the runnable that campaigns for a Lease, so exactly one replica scans,
//     and that goes back to campaigning — not exiting — when it loses it.
//
// docs/audit.md is the reference for operators.
package audit
