package domain

// LinkStatus is what virt-handler reports for one interface in
// status.interfaces[].linkState.
type LinkStatus struct {
	// Name is the VMI interface name.
	Name string
	// LinkState is "up" or "down" for an interface with a virtual link, and empty for an
	// SR-IOV interface: a passed-through VF has no link the domain knows of (its state is
	// the guest driver's and the physical port's).
	LinkState string
}

// Status reads, from a domain's XML (the live XML of a running domain), the link state of
// every device KubeVirt named after a VMI interface, in document order: an <interface>
// with alias "ua-<name>" is down for <link state='down'/> and up otherwise, as libvirt
// reads it; an SR-IOV <hostdev> ("ua-sriov-<name>") or <interface type='hostdev'> gets an
// empty state. Devices with other aliases (libvirt's own "net0", GPUs and other host
// devices) are not VMI interfaces and are left out.
func Status(domainXML []byte) ([]LinkStatus, error) {
	devices, err := scan(domainXML)
	if err != nil {
		return nil, err
	}
	var out []LinkStatus
	for _, d := range devices {
		name, ok := d.interfaceName()
		if !ok {
			continue
		}
		s := LinkStatus{Name: name}
		if !d.hostdev && !d.passthrough {
			s.LinkState = string(d.link)
		}
		out = append(out, s)
	}
	return out, nil
}
