package jsonprune

import "strings"

// Split cuts large members out of a JSON object without decoding them: an AdmissionReview
// is mostly its request's object and oldObject, which a generic decoder scans twice only
// to copy them out as raw bytes. Split scans raw once, validating all of it as strictly as
// encoding/json, and returns
//
//   - rest: raw without the members named in cut of the object reached by path (member
//     names from the top, e.g. "request"); everything else is copied byte for byte, so
//     decoding rest gives what decoding raw gives, but for the cut members;
//   - values: the cut members' values, values[i] for cut[i], as sub-slices of raw (nil for a
//     member that is absent).
//
// A path that ends early (a member missing, or not an object) cuts nothing: rest is then
// raw's members, and every value nil. ok is false when raw is not a well-formed JSON object
// or when Split is not sure a decoder would read the members it cuts exactly as it does:
// a key on the path's levels that holds an escape (it may spell a name Split looks for), a
// path or cut member that appears twice (decoders differ on which counts), nesting deeper
// than maxPruneDepth. The caller then decodes raw whole.
func Split(raw []byte, path []string, cut ...string) (rest []byte, values [][]byte, ok bool) {
	s := splitter{pruner: pruner{in: raw, out: make([]byte, 0, 2048)}, path: path, cut: cut, values: make([][]byte, len(cut))}
	s.space()
	if s.pos >= len(s.in) || s.in[s.pos] != '{' || !s.object(0, 1) {
		return nil, nil, false
	}
	s.space()
	if s.pos != len(s.in) {
		return nil, nil, false
	}
	return s.out, s.values, true
}

type splitter struct {
	pruner
	path   []string
	cut    []string
	values [][]byte
}

// object copies the object at pos, which is at path[:level], into out: members of the
// path are followed, cut members (at the path's end) recorded instead of copied.
func (s *splitter) object(level, depth int) bool {
	if depth > maxPruneDepth {
		return false
	}
	s.pos++ // '{'
	s.out = append(s.out, '{')
	copied, seenPath := 0, false
	seenCut := make([]bool, len(s.cut))
	s.space()
	if s.pos < len(s.in) && s.in[s.pos] == '}' {
		s.pos++
		s.out = append(s.out, '}')
		return true
	}
	for {
		s.space()
		keyStart := s.pos
		escaped, ok := s.string()
		if !ok || escaped {
			return false
		}
		key := string(s.in[keyStart+1 : s.pos-1])
		s.space()
		if s.pos >= len(s.in) || s.in[s.pos] != ':' {
			return false
		}
		s.pos++
		s.space()
		valueStart := s.pos
		switch i := s.cutIndex(level, key); {
		case i >= 0:
			if seenCut[i] || !s.value(depth) {
				return false
			}
			seenCut[i] = true
			s.values[i] = s.in[valueStart:s.pos]
		default:
			if copied > 0 {
				s.out = append(s.out, ',')
			}
			copied++
			s.out = append(s.out, s.in[keyStart:keyStart+len(key)+2]...)
			s.out = append(s.out, ':')
			onPath := level < len(s.path) && key == s.path[level]
			switch {
			case onPath && seenPath:
				return false
			case onPath && s.pos < len(s.in) && s.in[s.pos] == '{':
				seenPath = true
				if !s.object(level+1, depth+1) {
					return false
				}
			default:
				seenPath = seenPath || onPath
				if !s.value(depth) {
					return false
				}
				s.out = append(s.out, s.in[valueStart:s.pos]...)
			}
		}
		s.space()
		if s.pos >= len(s.in) {
			return false
		}
		switch s.in[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.out = append(s.out, '}')
			return true
		default:
			return false
		}
	}
}

// cutIndex is the index in cut of key when the object being read is at the end of the
// path, else -1.
func (s *splitter) cutIndex(level int, key string) int {
	if level != len(s.path) {
		return -1
	}
	for i, c := range s.cut {
		if key == c {
			return i
		}
	}
	return -1
}

// FoldedKey reports whether a member of the JSON object raw could be read as one of names by
// a case-insensitive decoder (encoding/json) but not by a case-sensitive one
// (sigs.k8s.io/json): its key equals a name but for case, holds a byte outside ASCII (Unicode
// folding turns some letters into ASCII ones), or holds an escape. It is also true when raw
// is not a well-formed object, so that true always means "decode the slow way".
func FoldedKey(raw []byte, names ...string) bool {
	p := pruner{in: raw}
	p.space()
	if p.pos >= len(p.in) || p.in[p.pos] != '{' {
		return true
	}
	p.pos++
	p.space()
	if p.pos < len(p.in) && p.in[p.pos] == '}' {
		return false
	}
	for {
		p.space()
		keyStart := p.pos
		escaped, ok := p.string()
		if !ok || escaped {
			return true
		}
		key := p.in[keyStart+1 : p.pos-1]
		for _, c := range key {
			if c >= 0x80 {
				return true
			}
		}
		for _, name := range names {
			if len(key) == len(name) && string(key) != name && strings.EqualFold(string(key), name) {
				return true
			}
		}
		p.space()
		if p.pos >= len(p.in) || p.in[p.pos] != ':' {
			return true
		}
		p.pos++
		p.space()
		if !p.value(1) {
			return true
		}
		p.space()
		if p.pos >= len(p.in) {
			return true
		}
		switch p.in[p.pos] {
		case ',':
			p.pos++
		case '}':
			return false
		default:
			return true
		}
	}
}
