// Package domain puts a VMI's link states into a libvirt domain and reads them back: the
// launcher side of linkstate-webhook (docs/launcher.md).
//
//   - Define / Apply: at domain definition, set or clear <link state='down'/> on each
//     <interface> the way KubeVirt matches them (alias "ua-<interface name>").
//   - LivePlan: for a running domain, the per-interface device XML to send to libvirt's
//     update-device with "affect live + config".
//   - Status: from a domain's XML, the linkState virt-handler reports per interface.
//   - Target: from a migration's stamp and the VMI, the links to build the target with.
//
// Only <interface> and <hostdev> elements are read, each with libvirtxml, and the only
// bytes ever changed are <link> elements inside an <interface>: libvirtxml's structs drop
// what they do not model (a newer libvirt's or KubeVirt's elements), so the domain is
// never decoded and re-encoded as a whole. Everything else in the document comes out
// byte for byte as it went in.
//
// Everything here is pure: no libvirt connection, no cgo, no I/O.
package domain
