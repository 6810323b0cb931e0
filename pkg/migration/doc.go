// Package migration keeps link states across live migration. On create, the mutating
// reviewer stamps a VirtualMachineInstanceMigration with the link states of the VMI it
// moves (rule M1), so the target can build its domain with them; the validating reviewer
// keeps that stamp honest (rule M2): immutable once written, and on create either signed
// by this service or equal to what it would stamp now.
//
// Everything migrations need lives here: the stamp and its annotations, the signature,
// the VMI lookup, the identities exempt from M2, and the command-line options.
package migration
