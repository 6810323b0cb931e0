package validate

// The texts users see. Each says what is wrong and what to do instead. Kept together so
// they can be reviewed, documented and tested as one.
const (
	msgNoLinkState = "this cluster's KubeVirt does not support link state (it accepts neither " +
		"linkDown nor down): it needs KubeVirt v1.5 or later, or the patched virt-launcher and " +
		"virt-handler images; leave state empty"
	msgSRIOV = "link state cannot be set on an SR-IOV interface: the VF is passed through " +
		"to the guest and has no virtual link to toggle; leave state empty and set the link " +
		"from inside the guest"
	msgPasstBinding = "the passtBinding binding does not apply link state; leave state empty, " +
		"or use the masquerade or bridge binding to control the link"
	msgPluginUnsupported = "binding plugin %q does not support link state; leave state empty"
	msgPluginUnknown     = "binding plugin %q is not known to support link state: the link " +
		"may stay up; ask the cluster operator to list the plugin as supported or unsupported"
	msgAbsentBinding = "hot-unplug (state absent) is supported only for interfaces with the " +
		"bridge binding, not %s; remove the interface from the spec and restart the VM instead"
	msgAbsentNoBinding = "hot-unplug (state absent) needs the bridge binding set explicitly: add " +
		"bridge: {} to the interface (an interface with no binding is not enough)"
	msgAbsentModel = "hot-unplug (state absent) requires the virtio model; remove model or " +
		"set it to virtio, or remove the interface from the spec and restart the VM instead"
	msgAbsentDefault = "the interface on the default network (the pod network, or a Multus " +
		"network with default: true) cannot be hot-unplugged; set state to %s to take its link down instead"
	msgAbsentDefaultNoLinkState = "the interface on the default network (the pod network, or a " +
		"Multus network with default: true) cannot be hot-unplugged"
	msgDefaultNetDown = "the link of the interface on the default network will be down: " +
		"readiness and liveness probes, services and other cluster traffic through it stop working"
	msgAbsentIsFinal = "interface %q was hot-unplugged (state absent) from the running VM and " +
		"cannot be plugged back in; to plug it again, add it under a new name"
	msgHotplugNotBridged = "interface %q uses the %s binding, which cannot be hot-plugged into " +
		"a running VM: it is added when the VM restarts"
	msgStampImmutable = "is stamped by linkstate-webhook from the VMI when the migration is " +
		"created and cannot be changed afterwards"
	msgStampForged = "must be what linkstate-webhook stamps from VMI %q, %s; remove the " +
		"annotation and let the webhook stamp it"
	msgStampNoVMI = "VMI %q does not exist, so there is nothing to stamp; remove the annotation"
)
