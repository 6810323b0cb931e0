// Package yamljson converts a YAML document to JSON fast, for the YAML that manifests are
// written in: block mappings and sequences, plain and single-line quoted scalars, literal
// block scalars, single-line flow collections and comments. sigs.k8s.io/yaml — what
// kubectl and Kubernetes' own decoders use — parses with go-yaml v2 into generic maps,
// converts those for JSON and marshals them with reflection: most of the time `webhook
// check` spent on a manifest went there.
//
// Converting is an optimisation, never a second opinion: Convert gives up (ok false) on
// anything outside the subset or anything it is not sure go-yaml v2 and sigs.k8s.io/yaml
// would read the same way — anchors and aliases, tags, merge keys, complex keys, folded
// and chomp-keeping block scalars, multi-line plain and quoted scalars, floats, duplicate
// keys, tabs, carriage returns, control characters — and the caller converts the document
// with sigs.k8s.io/yaml, which also names any error. FuzzConvertMatchesSigsYAML holds the
// two to the same JSON values, and to Convert accepting only what sigs.k8s.io/yaml accepts.
//
// The JSON may differ from sigs.k8s.io/yaml's in key order and escaping, never in value.
package yamljson

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds nesting; manifests nest a dozen levels.
const maxDepth = 64

// maxKeyLength is below the 1024 characters go-yaml allows a simple key.
const maxKeyLength = 1000

// Convert returns the JSON of the YAML document doc (one document: no "---" separators
// but an optional first one), or ok false when the caller must convert it another way.
// An empty document (nothing but comments and blank lines) is JSON null.
func Convert(doc []byte) (out []byte, ok bool) {
	if !acceptable(doc) {
		return nil, false
	}
	c := converter{out: make([]byte, 0, len(doc)+len(doc)/4), keys: make([][]byte, 0, 64)}
	c.split(doc)
	c.skipBlank()
	if c.i < len(c.lines) && isDocumentStart(c.lines[c.i].indent, c.text(c.lines[c.i])) {
		c.i++
		c.skipBlank()
	}
	for _, l := range c.lines[c.i:] {
		if text := c.text(l); l.indent == 0 && (bytes.HasPrefix(text, []byte("---")) || bytes.HasPrefix(text, []byte("..."))) {
			return nil, false // another document's start, or this one's end
		}
	}
	if c.i >= len(c.lines) {
		return append(c.out, "null"...), true
	}
	first := c.lines[c.i]
	if !c.node(first.indent, 0) {
		return nil, false
	}
	c.skipBlank()
	if c.i < len(c.lines) {
		return nil, false // more after the root node
	}
	return c.out, true
}

// acceptable rejects what go-yaml reads differently or refuses: invalid UTF-8, characters
// YAML does not allow (C0 and C1 controls but tab and newline, DEL, U+FFFE, U+FFFF), the
// other line breaks of YAML 1.1 (carriage return, NEL, U+2028, U+2029), a byte order mark.
func acceptable(doc []byte) bool {
	if bytes.HasPrefix(doc, []byte("\xef\xbb\xbf")) || !utf8.Valid(doc) {
		return false
	}
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; acceptByte[c] {
		case byteFine:
		case byteRefused:
			return false
		case byteLead: // valid UTF-8, so the continuation bytes are there
			switch {
			case c == 0xc2 && doc[i+1] <= 0x9f, // C1 controls, NEL
				c == 0xe2 && doc[i+1] == 0x80 && (doc[i+2] == 0xa8 || doc[i+2] == 0xa9), // U+2028, U+2029
				c == 0xef && doc[i+1] == 0xbf && (doc[i+2] == 0xbe || doc[i+2] == 0xbf): // U+FFFE, U+FFFF
				return false
			}
		}
	}
	return true
}

const (
	byteFine = iota
	byteRefused
	byteLead // the first byte of characters some of which are refused
)

var acceptByte = func() (t [256]byte) {
	for c := range 0x20 {
		t[c] = byteRefused
	}
	t['\t'], t['\n'] = byteFine, byteFine
	t[0x7f] = byteRefused
	t[0xc2], t[0xe2], t[0xef] = byteLead, byteLead, byteLead
	return t
}()

// line is one line of the document, without its newline: offsets, not slices, so that
// the lines hold no pointers for the garbage collector to follow.
type line struct {
	indent     int  // leading spaces
	start, end int  // the rest: doc[start:end]
	blank      bool // nothing but spaces, or a comment
}

type converter struct {
	doc          []byte
	tabs         bool     // the document holds a tab somewhere
	keys         [][]byte // see keySet
	lines        []line
	finalNewline bool // the document's last line ends with a line break
	i            int  // the next line to read
	out          []byte
}

func (c *converter) split(doc []byte) {
	c.doc, c.tabs = doc, bytes.IndexByte(doc, '\t') >= 0
	c.finalNewline = bytes.HasSuffix(doc, []byte{'\n'})
	c.lines = make([]line, 0, bytes.Count(doc, []byte{'\n'})+1)
	for pos := 0; pos < len(doc); {
		end := bytes.IndexByte(doc[pos:], '\n')
		next := pos + end + 1
		if end < 0 {
			end, next = len(doc)-pos, len(doc)
		}
		end += pos
		indent := pos
		for indent < end && doc[indent] == ' ' {
			indent++
		}
		c.lines = append(c.lines, line{indent: indent - pos, start: indent, end: end, blank: indent == end || doc[indent] == '#'})
		pos = next
	}
}

// text is what l holds after its indentation.
func (c *converter) text(l line) []byte { return c.doc[l.start:l.end] }

// hasTab reports whether text holds a tab.
func (c *converter) hasTab(text []byte) bool { return c.tabs && bytes.IndexByte(text, '\t') >= 0 }

// skipBlank moves past blank and comment lines.
func (c *converter) skipBlank() {
	for c.i < len(c.lines) && c.lines[c.i].blank {
		c.i++
	}
}

// isDocumentStart is a "---" line, alone or with a comment.
func isDocumentStart(indent int, text []byte) bool {
	if indent != 0 || !bytes.HasPrefix(text, []byte("---")) {
		return false
	}
	rest := bytes.TrimLeft(text[3:], " ")
	return len(rest) == 0 || (rest[0] == '#' && len(rest) < len(text)-3)
}

// node converts the block node whose first line is the current one, at indent.
func (c *converter) node(indent, depth int) bool {
	if depth > maxDepth {
		return false
	}
	l := c.lines[c.i]
	text := c.text(l)
	if l.indent != indent || c.hasTab(text) {
		return false
	}
	if isEntry(text) {
		return c.sequence(indent, depth)
	}
	if _, _, ok := splitKey(text); ok {
		return c.mapping(indent, depth)
	}
	return false // a scalar alone on its line: multi-line plain scalars and the like
}

// isEntry reports whether text opens a block sequence entry.
func isEntry(text []byte) bool {
	return text[0] == '-' && (len(text) == 1 || text[1] == ' ')
}

// mapping converts the block mapping at indent starting at the current line.
func (c *converter) mapping(indent, depth int) bool {
	c.out = append(c.out, '{')
	seen := newKeySet(&c.keys)
	defer seen.done()
	for n := 0; ; n++ {
		c.skipBlank()
		if c.i >= len(c.lines) {
			break
		}
		l := c.lines[c.i]
		if l.indent < indent {
			break
		}
		text := c.text(l)
		if l.indent > indent || c.hasTab(text) {
			return false
		}
		rawKey, rest, ok := splitKey(text)
		if !ok {
			return false
		}
		key, ok := resolveKey(rawKey)
		if !ok || !seen.add(key) {
			return false
		}
		if n > 0 {
			c.out = append(c.out, ',')
		}
		c.out = appendString(c.out, key)
		c.out = append(c.out, ':')
		c.i++
		if !c.value(rest, indent, true, depth) {
			return false
		}
	}
	c.out = append(c.out, '}')
	return true
}

// sequence converts the block sequence at indent starting at the current line.
func (c *converter) sequence(indent, depth int) bool {
	c.out = append(c.out, '[')
	for n := 0; ; n++ {
		c.skipBlank()
		if c.i >= len(c.lines) {
			break
		}
		l := c.lines[c.i]
		text := c.text(l)
		if l.indent != indent || !isEntry(text) {
			break
		}
		if c.hasTab(text) {
			return false
		}
		if n > 0 {
			c.out = append(c.out, ',')
		}
		// The entry's content: "- key: value" opens a mapping at the key's column, which
		// is read as if the key began the line.
		spaces := 1
		for spaces < len(text) && text[spaces] == ' ' {
			spaces++
		}
		content := text[spaces:]
		if len(content) > 0 && content[0] != '#' {
			if _, _, isKey := splitKey(content); isKey {
				c.lines[c.i] = line{indent: indent + spaces, start: l.start + spaces, end: l.end}
				if !c.mapping(indent+spaces, depth+1) {
					return false
				}
				continue
			}
			if isEntry(content) {
				return false // "- - x": nested compact sequences
			}
		}
		c.i++
		if !c.value(content, indent, false, depth) {
			return false
		}
	}
	c.out = append(c.out, ']')
	return true
}

// value converts what follows a key's colon or an entry's dash (rest, on the line just
// read), or the node on the next lines when rest is empty; parent is the indent of the
// mapping or sequence holding the value.
func (c *converter) value(rest []byte, parent int, inMapping bool, depth int) bool {
	rest = bytes.TrimLeft(rest, " ")
	if len(rest) == 0 || rest[0] == '#' {
		// The value, if any, is on the next lines: more indented, or a sequence at the
		// mapping's own indent ("key:\n- a").
		c.skipBlank()
		if c.i < len(c.lines) {
			next := c.lines[c.i]
			if next.indent > parent || (inMapping && next.indent == parent && isEntry(c.text(next))) {
				return c.node(next.indent, depth+1)
			}
		}
		c.out = append(c.out, "null"...)
		return true
	}
	switch rest[0] {
	case '|':
		return c.literal(rest, parent)
	case '{', '[':
		f := flow{in: rest, depth: depth, keys: &c.keys}
		end, ok := f.value(&c.out)
		return ok && onlyComment(rest[end:]) && c.ends(parent)
	case '"', '\'':
		end := closingQuote(rest)
		if end < 0 || !onlyComment(rest[end+1:]) {
			return false
		}
		s, ok := unquote(rest[:end+1])
		if !ok {
			return false
		}
		c.out = appendString(c.out, s)
		return c.ends(parent)
	}
	text, ok := plainScalar(rest)
	if !ok {
		return false
	}
	c.out, ok = appendPlain(c.out, text)
	return ok && c.ends(parent)
}

// ends reports whether the value just read ends where its line does: the next line that
// holds something is not more indented than the value's parent (it would continue a
// multi-line scalar, or be an error).
func (c *converter) ends(parent int) bool {
	for j := c.i; j < len(c.lines); j++ {
		if c.lines[j].blank {
			continue
		}
		return c.lines[j].indent <= parent
	}
	return true
}

// literal converts a literal block scalar ("|" or "|-", the header in header) whose
// content is on the next lines, more indented than parent. Trailing empty lines are
// chomped; "|" keeps the last line break, "|-" does not.
func (c *converter) literal(header []byte, parent int) bool {
	strip := false
	h := header[1:]
	if len(h) > 0 && h[0] == '-' {
		strip, h = true, h[1:]
	}
	if len(h) > 0 && h[0] != ' ' || !onlyComment(h) {
		return false // "|+", "|2", "|x": chomping kept, indentation given, or an error
	}
	indent, last := -1, -1
	var b []byte
	breaks := 0 // empty lines since the last content line
	for ; c.i < len(c.lines); c.i++ {
		l := c.lines[c.i]
		text := c.text(l)
		if len(text) == 0 {
			if indent < 0 && l.indent > 0 || indent >= 0 && l.indent > indent {
				return false // spaces that are content, or that would set the indentation
			}
			breaks++
			continue
		}
		if text[0] == '\t' {
			return false // a tab where go-yaml looks for indentation
		}
		if indent < 0 {
			if l.indent <= parent {
				break
			}
			if breaks > 0 {
				return false // leading empty lines
			}
			indent = l.indent
		} else if l.indent < indent {
			break
		}
		if last >= 0 {
			for range breaks + 1 {
				b = append(b, '\n')
			}
		}
		breaks = 0
		for range l.indent - indent {
			b = append(b, ' ')
		}
		b = append(b, text...)
		last = c.i
	}
	if !strip && last >= 0 && (last < len(c.lines)-1 || c.finalNewline) {
		b = append(b, '\n')
	}
	c.out = appendString(c.out, b)
	return true
}

// onlyComment reports whether rest holds nothing but spaces and perhaps a comment that a
// space separates from what came before.
func onlyComment(rest []byte) bool {
	trimmed := bytes.TrimLeft(rest, " ")
	return len(trimmed) == 0 || (trimmed[0] == '#' && len(trimmed) < len(rest))
}

// splitKey splits a mapping entry's line into its key (raw, quotes included) and the rest
// after ": ". ok is false when the line is not a mapping entry this package reads.
func splitKey(text []byte) (key, rest []byte, ok bool) {
	if len(text) == 0 {
		return nil, nil, false
	}
	if text[0] == '"' || text[0] == '\'' {
		end := closingQuote(text)
		if end < 0 {
			return nil, nil, false
		}
		after := text[end+1:]
		if end > maxKeyLength || len(after) == 0 || after[0] != ':' || (len(after) > 1 && after[1] != ' ') {
			return nil, nil, false
		}
		return text[:end+1], after[1:], true
	}
	if !plainStart(text) {
		return nil, nil, false
	}
	for from := 0; ; {
		i := bytes.IndexByte(text[from:], ':')
		if i < 0 {
			return nil, nil, false
		}
		j := from + i
		if j+1 == len(text) || text[j+1] == ' ' {
			key := text[:j]
			if text[j-1] == ' ' || j > maxKeyLength || bytes.Contains(key, []byte(" #")) || bytes.IndexByte(key, '\t') >= 0 {
				return nil, nil, false
			}
			return key, text[j+1:], true
		}
		from = j + 1
	}
}

// plainStart reports whether a plain scalar may begin text: not an indicator, nor a dash,
// question mark or colon that starts a structure.
func plainStart(text []byte) bool {
	if len(text) == 0 {
		return false
	}
	switch text[0] {
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '-', '?', ':':
		return len(text) > 1 && text[1] != ' '
	}
	return true
}

// plainScalar is the plain scalar that rest (the value on a line) holds, without a
// trailing comment and spaces; ok is false where YAML reads it otherwise.
func plainScalar(rest []byte) ([]byte, bool) {
	if !plainStart(rest) {
		return nil, false
	}
	body := rest
	if i := bytes.Index(rest, []byte(" #")); i >= 0 {
		body = rest[:i] // a comment
	}
	if bytes.IndexByte(body, '\t') >= 0 {
		return nil, false
	}
	for from := 0; ; {
		i := bytes.IndexByte(body[from:], ':')
		if i < 0 {
			break
		}
		j := from + i
		if j+1 == len(body) || body[j+1] == ' ' {
			return nil, false // a mapping inside a value
		}
		from = j + 1
	}
	return bytes.TrimRight(body, " "), true
}

// closingQuote is the index of the quote that closes the quoted scalar text starts with,
// or -1 when it does not close on this line.
func closingQuote(text []byte) int {
	q := text[0]
	for j := 1; j < len(text); j++ {
		switch {
		case q == '\'' && text[j] == '\'':
			if j+1 < len(text) && text[j+1] == '\'' {
				j++
				continue
			}
			return j
		case q == '"' && text[j] == '\\':
			j++
		case q == '"' && text[j] == '"':
			return j
		}
	}
	return -1
}

// unquote reads a single- or double-quoted scalar (quotes included).
func unquote(q []byte) (string, bool) {
	body := q[1 : len(q)-1]
	if bytes.IndexByte(body, '\t') >= 0 {
		return "", false
	}
	if q[0] == '\'' {
		return strings.ReplaceAll(string(body), "''", "'"), true
	}
	if bytes.IndexByte(body, '\\') < 0 {
		return string(body), true
	}
	var b strings.Builder
	for j := 0; j < len(body); j++ {
		if body[j] != '\\' {
			b.WriteByte(body[j])
			continue
		}
		j++
		if j >= len(body) {
			return "", false
		}
		if r, ok := yamlEscapes[body[j]]; ok {
			b.WriteRune(r)
			continue
		}
		switch body[j] {
		case 'x', 'u', 'U':
			digits := 2
			switch body[j] {
			case 'u':
				digits = 4
			case 'U':
				digits = 8
			}
			if j+1+digits > len(body) {
				return "", false
			}
			v, err := strconv.ParseUint(string(body[j+1:j+1+digits]), 16, 32)
			if err != nil || (v >= 0xd800 && v <= 0xdfff) || v > utf8.MaxRune {
				return "", false
			}
			b.WriteRune(rune(v))
			j += digits
		default:
			return "", false
		}
	}
	return b.String(), true
}

// yamlEscapes are go-yaml v2's one-character escapes in double-quoted scalars (YAML 1.1:
// no "\/").
var yamlEscapes = map[byte]rune{
	'0': 0, 'a': '\a', 'b': '\b', 't': '\t', 'n': '\n', 'v': '\v', 'f': '\f', 'r': '\r', 'e': 0x1b,
	' ': ' ', '"': '"', '\'': '\'', '\\': '\\', 'N': 0x85, '_': 0xa0, 'L': 0x2028, 'P': 0x2029,
}

// resolveKey is the JSON member name of a mapping key, as go-yaml resolves it and
// sigs.k8s.io/yaml writes it: quoted keys are strings, plain ones may be booleans or
// integers. Null, float and merge keys are left to sigs.k8s.io/yaml.
func resolveKey(raw []byte) ([]byte, bool) {
	if raw[0] == '"' || raw[0] == '\'' {
		s, ok := unquote(raw)
		return []byte(s), ok
	}
	if string(raw) == "<<" {
		return nil, false
	}
	kind, value := resolvePlain(raw)
	switch kind {
	case kindString:
		return raw, true
	case kindBool, kindInt:
		return []byte(value), true
	}
	return nil, false
}

// appendPlain appends the JSON of a plain scalar.
func appendPlain(out, text []byte) ([]byte, bool) {
	kind, value := resolvePlain(text)
	switch kind {
	case kindString:
		return appendString(out, text), true
	case kindBool, kindNull, kindInt:
		return append(out, value...), true
	}
	return out, false
}

type scalarKind int

const (
	kindUnsure scalarKind = iota
	kindString
	kindBool
	kindNull
	kindInt
)

// resolvePlain says what go-yaml v2 makes of a plain scalar, with its JSON when it is not
// a string: the YAML 1.1 booleans (yes, on, ...), null and ~, integers (decimal, 0x, 0o,
// leading-0 octal, 0b, underscores). Floats and the integers that only fit a uint64 are
// unsure.
func resolvePlain(s []byte) (scalarKind, string) {
	switch s[0] {
	case 'y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O', '~':
		switch string(s) {
		case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
			return kindBool, "true"
		case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
			return kindBool, "false"
		case "~", "null", "Null", "NULL":
			return kindNull, "null"
		}
		return kindString, ""
	case '.':
		if _, err := strconv.ParseFloat(string(s), 64); err == nil || strings.EqualFold(string(s), ".nan") || strings.EqualFold(string(s), ".inf") {
			return kindUnsure, ""
		}
		return kindString, ""
	case '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		return kindString, ""
	}
	if timestampLike(s) {
		return kindString, "" // go-yaml leaves timestamps as they are written
	}
	plain := strings.ReplaceAll(string(s), "_", "")
	if v, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return kindInt, strconv.FormatInt(v, 10)
	}
	if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return kindUnsure, ""
	}
	if yamlFloat(plain) || strings.HasPrefix(plain, "0b") || strings.HasPrefix(plain, "-0b") ||
		strings.HasPrefix(plain, "+.") || strings.HasPrefix(plain, "-.") {
		return kindUnsure, ""
	}
	return kindString, ""
}

// timestampLike is go-yaml's first test for a timestamp: four digits and a dash. Whatever
// follows, go-yaml then reads the scalar as a string (a timestamp is kept as written, and
// nothing else starting so is a number).
func timestampLike(s []byte) bool {
	if len(s) < 5 || s[4] != '-' {
		return false
	}
	for _, c := range s[:4] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// yamlFloat matches go-yaml's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
func yamlFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// keySet finds duplicate keys in one mapping. Its keys live on a stack the converter
// shares between mappings (one mapping's keys are done with before its parent's next).
type keySet struct {
	stack *[][]byte
	start int
	many  map[string]struct{} // past a few keys
}

func newKeySet(stack *[][]byte) keySet { return keySet{stack: stack, start: len(*stack)} }

// add reports whether key is new in the mapping.
func (k *keySet) add(key []byte) bool {
	if k.many != nil {
		if _, dup := k.many[string(key)]; dup {
			return false
		}
		k.many[string(key)] = struct{}{}
		return true
	}
	keys := (*k.stack)[k.start:]
	for _, seen := range keys {
		if bytes.Equal(seen, key) {
			return false
		}
	}
	*k.stack = append(*k.stack, key)
	if len(keys) >= 32 {
		k.many = make(map[string]struct{}, 64)
		for _, seen := range (*k.stack)[k.start:] {
			k.many[string(seen)] = struct{}{}
		}
	}
	return true
}

// done forgets the mapping's keys.
func (k *keySet) done() { *k.stack = (*k.stack)[:k.start] }

// appendString appends s as a JSON string.
func appendString[T string | []byte](out []byte, s T) []byte {
	out = append(out, '"')
	start := 0
	for j := 0; j < len(s); j++ {
		c := s[j]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out = append(out, s[start:j]...)
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		case '\t':
			out = append(out, '\\', 't')
		case '\r':
			out = append(out, '\\', 'r')
		default:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = j + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

const hex = "0123456789abcdef"
