package migration

// The texts users see.
const (
	msgStampImmutable = "is stamped by linkstate-webhook from the VMI when the migration is " +
		"created and cannot be changed afterwards"
	msgStampForged = "must be what linkstate-webhook stamps from VMI %q, %s; remove the " +
		"annotation and let the webhook stamp it"
	msgStampNoVMI  = "VMI %q does not exist, so there is nothing to stamp; remove the annotation"
	msgVMINotFound = "VMI %q not found in namespace %q: link states are not stamped on this migration"
	msgVMIUnread   = "could not read VMI %q: link states are not stamped on this migration: %v"
)
