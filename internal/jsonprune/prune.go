// Package jsonprune decodes a small part of a large JSON object fast. Decoding a VM costs
// two passes of encoding/json's byte-at-a-time scanner over the whole object (one to
// validate, one to decode), although the rules read a few hundred bytes of it: most of a
// stored VM is metadata.managedFields, kubectl's last-applied annotation, disks, volumes
// and cloud-init. A Decoder copies out only the members its target type has fields for,
// skipping the rest with a scanner that jumps over string contents instead of stepping
// through them; encoding/json then decodes the small result. The type's fields are read
// by reflection, so the kept members and the decoded ones cannot drift apart.
//
// Pruning is an optimisation, never a second opinion: whenever it meets anything it is not
// sure to treat exactly as encoding/json would — a malformed document, an escaped key,
// nesting deeper than maxPruneDepth — it gives up and the whole object is decoded.
// FuzzDecodePrunedEqualsFull holds the two paths to the same answers.
package jsonprune

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"

	utiljson "sigs.k8s.io/json"
)

// Decoder decodes JSON objects into a T, reading only the members T has fields for.
type Decoder[T any] struct {
	tree keepTree // nil: T cannot be described as a tree, nothing is pruned
	// fold keeps the members a case-insensitive decoder may read, for encoding/json.
	fold      bool
	unmarshal func([]byte, any) error
}

// NewDecoder describes T once; the Decoder is safe for concurrent use. It decodes as the
// API server does, with sigs.k8s.io/json: member names match case-sensitively (unlike
// encoding/json, "State" is not "state") and integers stay integers in interface values.
func NewDecoder[T any]() *Decoder[T] {
	tree, _ := structTree(reflect.TypeFor[T]())
	return &Decoder[T]{tree: tree, unmarshal: utiljson.UnmarshalCaseSensitivePreserveInts}
}

// NewFoldingDecoder is NewDecoder for code that decodes with encoding/json, whose member
// names match case-insensitively ("KIND" is read as "kind"): it keeps, besides the members
// T has fields for, every member whose name equals one of those but for case, and every
// member whose name is not ASCII (Unicode case folding turns some letters into ASCII ones,
// like the Kelvin sign into K), and decodes with encoding/json — so it reads what
// json.Unmarshal reads.
func NewFoldingDecoder[T any]() *Decoder[T] {
	tree, _ := structTree(reflect.TypeFor[T]())
	return &Decoder[T]{tree: tree, fold: true, unmarshal: json.Unmarshal}
}

// Unmarshal decodes raw into into. An error always comes from decoding the whole of raw,
// so its message does not depend on the shortcut.
func (d *Decoder[T]) Unmarshal(raw []byte, into *T) error {
	if pruned, ok := prune(raw, d.tree, d.fold); ok {
		if d.unmarshal(pruned, into) == nil {
			return nil
		}
		var zero T
		*into = zero
	}
	return d.unmarshal(raw, into)
}

// keepTree names the members to keep at one level of a JSON object: a nil subtree keeps
// the member whole; a non-nil one keeps only its own members, when the value is an object.
type keepTree map[string]keepTree

// folded is what a case-insensitive decoder may make of key, which names no member
// exactly: the subtree of the one member it equals but for case; the whole value when it
// equals several, or holds a byte outside ASCII (Unicode folding may make it any name).
func (t keepTree) folded(key []byte) (sub keepTree, keep bool) {
	for _, c := range key {
		if c >= 0x80 {
			return nil, true
		}
	}
	matches := 0
	for name, s := range t {
		if len(name) == len(key) && strings.EqualFold(name, string(key)) {
			sub, keep = s, true
			matches++
		}
	}
	if matches > 1 {
		return nil, true
	}
	return sub, keep
}

// maxPruneDepth bounds prune's recursion. KubeVirt objects nest a dozen levels; anything
// deeper is left to encoding/json, which has its own limit.
const maxPruneDepth = 64

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// structTree describes the members a struct type (behind any pointers) decodes; ok is false
// for any other type, whose value must be kept whole.
func structTree(t reflect.Type) (tree keepTree, ok bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil, false
	}
	tree = keepTree{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous {
			// An embedded struct promotes its members (metav1.TypeMeta its apiVersion and
			// kind). Anything subtler — a tag, an embedded pointer or other type, a promoted
			// name that collides with another — keeps the value whole.
			promoted, ok := structTree(f.Type)
			if !ok || name != "" || f.Type.Kind() != reflect.Struct {
				return nil, false
			}
			for n, sub := range promoted {
				if _, taken := tree[n]; taken {
					return nil, false
				}
				tree[n] = sub
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		if _, taken := tree[name]; taken {
			return nil, false
		}
		if sub, ok := structTree(f.Type); ok {
			tree[name] = sub
		} else {
			tree[name] = nil
		}
	}
	return tree, true
}

// prune returns the JSON object raw with only the members tree names, or ok false when
// raw must be decoded whole (see above).
func prune(raw []byte, tree keepTree, fold bool) (out []byte, ok bool) {
	if tree == nil {
		return nil, false
	}
	p := pruner{in: raw, out: make([]byte, 0, 1024), fold: fold}
	p.space()
	if p.pos >= len(p.in) || p.in[p.pos] != '{' || !p.object(tree, 1) {
		return nil, false
	}
	p.space()
	if p.pos != len(p.in) {
		return nil, false
	}
	return p.out, true
}

type pruner struct {
	in   []byte
	pos  int
	out  []byte
	fold bool // see NewFoldingDecoder
}

// object reads the object at pos, appending its kept members to out.
func (p *pruner) object(tree keepTree, depth int) bool {
	if depth > maxPruneDepth {
		return false
	}
	p.pos++ // '{'
	p.out = append(p.out, '{')
	kept := 0
	p.space()
	if p.pos < len(p.in) && p.in[p.pos] == '}' {
		p.pos++
		p.out = append(p.out, '}')
		return true
	}
	for {
		p.space()
		keyStart := p.pos
		escaped, ok := p.string()
		if !ok || escaped {
			return false // an escaped key may spell a kept name: leave it to encoding/json
		}
		key := p.in[keyStart+1 : p.pos-1]
		p.space()
		if p.pos >= len(p.in) || p.in[p.pos] != ':' {
			return false
		}
		p.pos++
		p.space()
		sub, keep := tree[string(key)]
		if !keep && p.fold {
			sub, keep = tree.folded(key)
		}
		if keep {
			if kept > 0 {
				p.out = append(p.out, ',')
			}
			kept++
			p.out = append(p.out, p.in[keyStart:keyStart+len(key)+2]...)
			p.out = append(p.out, ':')
		}
		switch {
		case keep && sub != nil && p.pos < len(p.in) && p.in[p.pos] == '{':
			if !p.object(sub, depth+1) {
				return false
			}
		case keep:
			start := p.pos
			if !p.value(depth) {
				return false
			}
			p.out = append(p.out, p.in[start:p.pos]...)
		default:
			if !p.value(depth) {
				return false
			}
		}
		p.space()
		if p.pos >= len(p.in) {
			return false
		}
		switch p.in[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.out = append(p.out, '}')
			return true
		default:
			return false
		}
	}
}

// value steps over any JSON value at pos, checking it is well formed as strictly as
// encoding/json does.
func (p *pruner) value(depth int) bool {
	if p.pos >= len(p.in) {
		return false
	}
	switch c := p.in[p.pos]; {
	case c == '"':
		_, ok := p.string()
		return ok
	case c == '{' || c == '[':
		return p.container(depth + 1)
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	}
	return false
}

// container steps over an object or array.
func (p *pruner) container(depth int) bool {
	if depth > maxPruneDepth {
		return false
	}
	isObject := p.in[p.pos] == '{'
	closing := byte(']')
	if isObject {
		closing = '}'
	}
	p.pos++
	p.space()
	if p.pos < len(p.in) && p.in[p.pos] == closing {
		p.pos++
		return true
	}
	for {
		p.space()
		if isObject {
			if _, ok := p.string(); !ok {
				return false
			}
			p.space()
			if p.pos >= len(p.in) || p.in[p.pos] != ':' {
				return false
			}
			p.pos++
			p.space()
		}
		if !p.value(depth) {
			return false
		}
		p.space()
		if p.pos >= len(p.in) {
			return false
		}
		switch p.in[p.pos] {
		case ',':
			p.pos++
		case closing:
			p.pos++
			return true
		default:
			return false
		}
	}
}

// stringByte marks the bytes that end a run of plain string content: the closing quote,
// an escape, and the control characters JSON forbids inside strings.
var stringByte = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// string steps over the string at pos (which must start one), reporting whether it
// holds an escape.
func (p *pruner) string() (escaped, ok bool) {
	if p.pos >= len(p.in) || p.in[p.pos] != '"' {
		return false, false
	}
	i := p.pos + 1
	for {
		for i < len(p.in) && !stringByte[p.in[i]] {
			i++
		}
		if i >= len(p.in) || p.in[i] < 0x20 {
			return false, false
		}
		if p.in[i] == '"' {
			p.pos = i + 1
			return escaped, true
		}
		// A backslash: one of \" \\ \/ \b \f \n \r \t or \uXXXX.
		escaped = true
		if i+1 >= len(p.in) {
			return false, false
		}
		switch p.in[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(p.in) {
				return false, false
			}
			for _, h := range p.in[i+2 : i+6] {
				if !isHex(h) {
					return false, false
				}
			}
			i += 6
		default:
			return false, false
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (p *pruner) literal(word string) bool {
	if len(p.in)-p.pos < len(word) || string(p.in[p.pos:p.pos+len(word)]) != word {
		return false
	}
	p.pos += len(word)
	return true
}

// number steps over -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *pruner) number() bool {
	in, i := p.in, p.pos
	digits := func() bool {
		start := i
		for i < len(in) && '0' <= in[i] && in[i] <= '9' {
			i++
		}
		return i > start
	}
	if in[i] == '-' {
		i++
	}
	switch {
	case i < len(in) && in[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(in) && in[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	p.pos = i
	return true
}

func (p *pruner) space() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}
