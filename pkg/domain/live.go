package domain

// Update is one device to send to libvirt's update-device (virDomainUpdateDeviceFlags)
// with VIR_DOMAIN_AFFECT_LIVE|VIR_DOMAIN_AFFECT_CONFIG: `virsh update-device DOMAIN FILE
// --live --config`.
type Update struct {
	// Interface is the VMI interface the device belongs to.
	Interface string
	// Link is the state the update sets.
	Link Link
	// XML is the device: the running domain's <interface> element as it is, with its
	// <link> replaced by <link state='up|down'/>. libvirt finds the device by MAC and
	// refuses an update that differs from the running device in anything it cannot change
	// live (model, type, …), so nothing else may be left out or changed: leaving out the
	// model, for one, reads as the default model and is refused.
	XML string
}

// LivePlan is what to send to a running domain so its links become links: one Update per
// interface whose link differs, in the domain's device order, and nothing when nothing
// differs. runningXML is the live domain XML (virDomainGetXMLDesc with no flags: `virsh
// dumpxml`), read just before, so the device matches what libvirt has.
//
// An interface in links that the domain has no <interface> for is skipped: it is not
// plugged yet (hot-plug attaches it with the link already in its XML, see Apply), or is
// being unplugged. A passed-through VF (type='hostdev') has no link and is skipped too.
func LivePlan(runningXML []byte, links Links) ([]Update, error) {
	devices, err := scan(runningXML)
	if err != nil {
		return nil, err
	}
	var plan []Update
	for _, d := range devices {
		name, ok := d.interfaceName()
		want, wanted := links[name]
		if d.hostdev || !ok || !wanted || d.passthrough || d.link == want {
			continue
		}
		// Explicit state='up' rather than no <link>: libvirt reads both as up, and the
		// explicit one says what the update is for.
		xml := splice(d.raw(runningXML), d.start, d.setLink(runningXML, want))
		plan = append(plan, Update{Interface: name, Link: want, XML: string(xml)})
	}
	return plan, nil
}
