package yamljson

import "bytes"

// flow reads a flow collection that opens and closes on one line: {a: b, c: [d, e]}.
type flow struct {
	in    []byte
	pos   int
	depth int
	keys  *[][]byte // see keySet
}

// value appends the JSON of the flow value at pos and returns the index after it.
func (f *flow) value(out *[]byte) (end int, ok bool) {
	if f.depth > maxDepth || f.pos >= len(f.in) {
		return 0, false
	}
	switch f.in[f.pos] {
	case '{':
		return f.collection(out, '}')
	case '[':
		return f.collection(out, ']')
	case '"', '\'':
		close := closingQuote(f.in[f.pos:])
		if close < 0 {
			return 0, false
		}
		s, ok := unquote(f.in[f.pos : f.pos+close+1])
		if !ok {
			return 0, false
		}
		*out = appendString(*out, s)
		f.pos += close + 1
		return f.pos, true
	}
	text, ok := f.plain()
	if !ok {
		return 0, false
	}
	*out, ok = appendPlain(*out, text)
	return f.pos, ok
}

// collection reads a mapping (closing '}') or a sequence (closing ']').
func (f *flow) collection(out *[]byte, closing byte) (int, bool) {
	f.depth++
	defer func() { f.depth-- }()
	open := byte('[')
	if closing == '}' {
		open = '{'
	}
	*out = append(*out, open)
	f.pos++
	f.space()
	if f.pos < len(f.in) && f.in[f.pos] == closing {
		f.pos++
		*out = append(*out, closing)
		return f.pos, true
	}
	var seen keySet
	if closing == '}' {
		seen = newKeySet(f.keys)
		defer seen.done()
	}
	for n := 0; ; n++ {
		f.space()
		if n > 0 {
			*out = append(*out, ',')
		}
		if closing == '}' && !f.key(out, &seen) {
			return 0, false
		}
		if _, ok := f.value(out); !ok {
			return 0, false
		}
		f.space()
		if f.pos >= len(f.in) {
			return 0, false
		}
		switch f.in[f.pos] {
		case ',':
			f.pos++
		case closing:
			f.pos++
			*out = append(*out, closing)
			return f.pos, true
		default:
			return 0, false
		}
	}
}

// key reads a mapping key and its ": ", appending the member name.
func (f *flow) key(out *[]byte, seen *keySet) bool {
	var raw []byte
	if f.pos < len(f.in) && (f.in[f.pos] == '"' || f.in[f.pos] == '\'') {
		close := closingQuote(f.in[f.pos:])
		if close < 0 {
			return false
		}
		if close > maxKeyLength {
			return false
		}
		raw = f.in[f.pos : f.pos+close+1]
		f.pos += close + 1
	} else {
		var ok bool
		if raw, ok = f.plain(); !ok || len(raw) > maxKeyLength {
			return false
		}
	}
	if f.pos+1 >= len(f.in) || f.in[f.pos] != ':' || f.in[f.pos+1] != ' ' {
		return false
	}
	f.pos += 2
	f.space()
	key, ok := resolveKey(raw)
	if !ok || !seen.add(key) {
		return false
	}
	*out = appendString(*out, key)
	*out = append(*out, ':')
	return true
}

// plain reads a plain scalar in a flow collection: up to a comma, a closing bracket or
// a colon, without trailing spaces. Anything that could make it more than that — an
// opening bracket, a colon not followed by a space, a comment — makes it unsure.
func (f *flow) plain() ([]byte, bool) {
	start := f.pos
	if !plainStart(f.in[start:]) || f.in[start] == '?' || f.in[start] == ':' {
		return nil, false // in a flow collection these always begin a key or a value
	}
	for ; f.pos < len(f.in); f.pos++ {
		switch f.in[f.pos] {
		case ',', ']', '}':
			return f.trimmed(start)
		case ':':
			if f.pos+1 < len(f.in) && f.in[f.pos+1] == ' ' {
				return f.trimmed(start)
			}
			return nil, false
		case '[', '{', '?', '\t':
			return nil, false
		case '#':
			if f.in[f.pos-1] == ' ' {
				return nil, false
			}
		}
	}
	return nil, false // the line ended inside the collection
}

func (f *flow) trimmed(start int) ([]byte, bool) {
	text := bytes.TrimRight(f.in[start:f.pos], " ")
	return text, len(text) > 0
}

func (f *flow) space() {
	for f.pos < len(f.in) && f.in[f.pos] == ' ' {
		f.pos++
	}
}
