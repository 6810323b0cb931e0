// Package ownertool is what `kubectl linkstate` knows: the VM owner's view of the link
// states of a VM's or VMI's interfaces (what the spec asks for, what the VMI reports), the
// JSON patch that changes them safely by interface name, the choice of spelling a cluster
// accepts, and the wait until the VMI reports the change.
//
// The rules and spellings come from package linkstate; the webhook judges every change
// this package sends. The pure parts (report, table, patch, spelling, progress) take
// values and return values; Client is the only part that talks to the API server.
package ownertool
