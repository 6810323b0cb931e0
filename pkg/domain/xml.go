package domain

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// Link is the state of a vNIC's link as libvirt spells it in <link state=…/>, and as
// status.interfaces[].linkState reports it.
type Link string

const (
	Up   Link = "up"
	Down Link = "down"
)

// UserAliasPrefix is how KubeVirt names the devices it creates for a VMI: the alias of the
// <interface> of VMI interface "x" is "ua-x" (a user alias, which libvirt keeps as given).
const UserAliasPrefix = "ua-"

// SRIOVAliasPrefix follows UserAliasPrefix in the alias of the <hostdev> KubeVirt creates
// for an SR-IOV interface: "ua-sriov-x".
const SRIOVAliasPrefix = "sriov-"

// span is a byte range [start, end) of the document.
type span struct{ start, end int }

// device is one <interface> or <hostdev> element directly under <domain><devices>, with
// what the edits need to know of its bytes.
type device struct {
	hostdev bool // a <hostdev>; otherwise an <interface>
	span         // the whole element
	// alias is the element's <alias name=…/>; "" when it has none.
	alias string
	// passthrough is an <interface type='hostdev'>: a VF given to the guest, which has no
	// virtual link (libvirt refuses <link> on it).
	passthrough bool
	// link is the element's <link state=…/>: Down only for state='down', which is the only
	// value libvirt treats as down.
	link Link
	// linkAt is the element's <link>, if it has one.
	linkAt *span
	// closeTag is where </interface> starts; insertAt is where a new child goes (after the
	// last child element), and indent the whitespace that separates children.
	closeTag, insertAt int
	indent             string
}

// raw is the element's text.
func (d device) raw(doc []byte) []byte { return doc[d.start:d.end] }

// interfaceName is the VMI interface an element belongs to, by KubeVirt's aliases: "ua-x"
// on an <interface> is x, "ua-sriov-x" on a <hostdev> is x. ok is false for devices
// KubeVirt did not name after a VMI interface.
func (d device) interfaceName() (name string, ok bool) {
	name, ok = strings.CutPrefix(d.alias, UserAliasPrefix)
	if !ok || name == "" {
		return "", false
	}
	if d.hostdev {
		name, ok = strings.CutPrefix(name, SRIOVAliasPrefix)
		return name, ok && name != ""
	}
	return name, true
}

// scan finds the <interface> and <hostdev> elements of a domain, in document order. It
// fails on anything that is not one well-formed <domain> document, so an edit is never
// spliced into text libvirt would not read.
func scan(doc []byte) ([]device, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var (
		devices []device
		path    []string // local names of the open elements
		cur     *device  // the <interface> or <hostdev> being read
		roots   int
		// children of cur: where the last one ended, the whitespace before the first.
		lastWS   string
		sawChild bool
		// the <alias> of cur, and the <alias> or <link> being read.
		aliasAt, child *span
	)
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("domain XML: %w", err)
		}
		after := int(dec.InputOffset())
		switch t := tok.(type) {
		case xml.StartElement:
			depth := len(path)
			path = append(path, t.Name.Local)
			switch {
			case depth == 0:
				roots++
				if roots > 1 {
					return nil, fmt.Errorf("domain XML: more than one root element")
				}
				if t.Name.Local != "domain" || t.Name.Space != "" {
					return nil, fmt.Errorf("domain XML: the root element is <%s>, not <domain>", t.Name.Local)
				}
			case depth == 2 && path[1] == "devices" && t.Name.Space == "" && (t.Name.Local == "interface" || t.Name.Local == "hostdev"):
				cur = &device{hostdev: t.Name.Local == "hostdev", span: span{start: before}}
				cur.passthrough = !cur.hostdev && attr(t, "type") == "hostdev"
				sawChild, lastWS, child = false, "", nil
				aliasAt = nil
			case depth == 3 && cur != nil:
				if !sawChild {
					cur.indent = lastWS
					sawChild = true
				}
				if t.Name.Space != "" {
					break
				}
				switch {
				case t.Name.Local == "alias":
					if aliasAt != nil {
						return nil, fmt.Errorf("domain XML: the device at byte %d has two <alias> elements", cur.start)
					}
					aliasAt = &span{start: before}
					child = aliasAt
				case t.Name.Local == "link" && !cur.hostdev:
					if cur.linkAt != nil {
						return nil, fmt.Errorf("domain XML: the <interface> at byte %d has two <link> elements", cur.start)
					}
					cur.linkAt = &span{start: before}
					child = cur.linkAt
				}
			}
		case xml.EndElement:
			depth := len(path) - 1
			path = path[:depth]
			switch {
			case depth == 2 && cur != nil:
				cur.closeTag, cur.end = before, after
				if !sawChild {
					cur.insertAt = before
				}
				if err := cur.read(doc, aliasAt); err != nil {
					return nil, err
				}
				devices = append(devices, *cur)
				cur = nil
			case depth == 3 && cur != nil:
				cur.insertAt = after
				if child != nil {
					child.end = after
					child = nil
				}
			}
		case xml.CharData:
			if cur != nil && len(path) == 3 {
				lastWS = ""
				if len(bytes.TrimSpace(t)) == 0 {
					lastWS = string(t)
				}
			}
		}
	}
	if roots == 0 {
		return nil, fmt.Errorf("domain XML: no <domain> element")
	}
	return devices, nil
}

// read decodes the device's <alias> and <link> with libvirtxml's types. Only those: the
// whole DomainInterface and DomainHostdev decode and check every child, and refuse what
// KubeVirt hands a hook before libvirt has filled in its defaults (a <hostdev> without
// mode='subsystem', for one); and encoding/xml, given the whole element, would take an
// <x:alias> of another namespace for libvirt's.
func (d *device) read(doc []byte, aliasAt *span) error {
	if aliasAt != nil {
		var a libvirtxml.DomainAlias
		if err := xml.Unmarshal(doc[aliasAt.start:aliasAt.end], &a); err != nil {
			return fmt.Errorf("domain XML: <alias> at byte %d: %w", aliasAt.start, err)
		}
		d.alias = a.Name
	}
	if d.hostdev {
		return nil
	}
	d.link = Up
	if d.linkAt != nil {
		var l libvirtxml.DomainInterfaceLink
		if err := xml.Unmarshal(doc[d.linkAt.start:d.linkAt.end], &l); err != nil {
			return fmt.Errorf("domain XML: <link> at byte %d: %w", d.linkAt.start, err)
		}
		if l.State == string(Down) {
			d.link = Down
		}
	}
	return nil
}

// attr is the value of an attribute without a namespace, "" when there is none.
func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// linkElement is the <link> written for a state, in libvirt's own formatting.
func linkElement(l Link) string { return "<link state='" + string(l) + "'/>" }

// edit replaces the bytes of span with text.
type edit struct {
	span
	text string
}

// setLink is the edits that leave the interface with <link state=l/>, or no <link>
// when l is empty. A removed <link> takes the whitespace before it along, and a new one
// goes after the last child with the children's indentation, so the result reads as if
// libvirt had written it.
func (d device) setLink(doc []byte, l Link) []edit {
	var edits []edit
	if s := d.linkAt; s != nil {
		start := s.start
		for start > d.start && isSpace(doc[start-1]) {
			start--
		}
		edits = append(edits, edit{span: span{start, s.end}})
	}
	if l == "" {
		return edits
	}
	at := d.insertAt
	if at == d.closeTag { // no children: the <link> is the first
		return append(edits, edit{span: span{at, at}, text: linkElement(l)})
	}
	return append(edits, edit{span: span{at, at}, text: d.indent + linkElement(l)})
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// splice applies non-overlapping edits to doc, relative to base (the offset of doc in the
// document the spans were measured in).
func splice(doc []byte, base int, edits []edit) []byte {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var out bytes.Buffer
	out.Grow(len(doc) + 32*len(edits))
	pos := 0
	for _, e := range edits {
		out.Write(doc[pos : e.start-base])
		out.WriteString(e.text)
		pos = e.end - base
	}
	out.Write(doc[pos:])
	return out.Bytes()
}
