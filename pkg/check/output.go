package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// printer writes verdicts as `check` prints them, but into spools, so that nothing is
// printed before the whole input has been read: bad input anywhere must give exit status
// 2 and no verdicts. The output is what WriteText, or encoding/json's indented encoding of
// the whole []Result, would print (TestPrinterPrintsWhatTheEncoderPrints).
type printer struct {
	json     bool
	results  spool // the verdicts so far, encoded, without the places reserved for migrations
	used     spool // text output: a line per Namespace the policies saw
	skips    spool // text output: a line per skipped document
	slots    []slot
	n        int // verdicts, reserved places included
	denied   int
	nskipped int
	err      error // the first spool error
}

// slot is the place of a verdict that comes later: where it goes in results, which
// verdict it is, and once known, its encoding.
type slot struct {
	offset  int64
	index   int
	encoded []byte
}

func newPrinter(json bool) *printer { return &printer{json: json} }

func (p *printer) result(r Result) {
	p.count(r)
	p.write(&p.results, p.encode(r, p.n))
	p.n++
}

func (p *printer) reserve() int {
	p.slots = append(p.slots, slot{offset: p.results.Len(), index: p.n})
	p.n++
	return len(p.slots) - 1
}

func (p *printer) fill(i int, r Result) {
	p.count(r)
	p.slots[i].encoded = p.encode(r, p.slots[i].index)
}

func (p *printer) namespace(d Document) {
	if !p.json {
		var b bytes.Buffer
		writeTextNamespace(&b, d)
		p.write(&p.used, b.Bytes())
	}
}

func (p *printer) skipped(d Document) {
	p.nskipped++
	if !p.json {
		var b bytes.Buffer
		writeTextSkipped(&b, d)
		p.write(&p.skips, b.Bytes())
	}
}

func (p *printer) count(r Result) {
	if !r.Allowed {
		p.denied++
	}
}

func (p *printer) write(s *spool, b []byte) {
	if _, err := s.Write(b); err != nil && p.err == nil {
		p.err = err
	}
}

// encode is verdict number index as it appears in the output: a text block, or an element
// of the JSON array with the separator before it.
func (p *printer) encode(r Result, index int) []byte {
	var b bytes.Buffer
	if !p.json {
		writeTextResult(&b, r)
		return b.Bytes()
	}
	if index > 0 {
		b.WriteString(",\n  ")
	}
	element, err := json.MarshalIndent(r, "  ", "  ")
	if err != nil && p.err == nil {
		p.err = err // a Result is strings and JSON values decoded from the input: cannot fail
	}
	b.Write(element)
	return b.Bytes()
}

// Print prints everything, in input order.
func (p *printer) Print(w io.Writer) error {
	if p.err != nil {
		return p.err
	}
	if p.json {
		open := "[\n  "
		if p.n == 0 {
			open = "[]\n"
		}
		if _, err := io.WriteString(w, open); err != nil {
			return err
		}
	}
	var from int64
	for _, s := range p.slots {
		if err := p.results.copyRange(w, from, s.offset); err != nil {
			return err
		}
		if _, err := w.Write(s.encoded); err != nil {
			return err
		}
		from = s.offset
	}
	if err := p.results.copyRange(w, from, p.results.Len()); err != nil {
		return err
	}
	if p.json {
		if p.n > 0 {
			_, err := io.WriteString(w, "\n]\n")
			return err
		}
		return nil
	}
	if err := p.used.copyRange(w, 0, p.used.Len()); err != nil {
		return err
	}
	if err := p.skips.copyRange(w, 0, p.skips.Len()); err != nil {
		return err
	}
	writeTextSummary(w, p.n, p.denied, p.nskipped)
	return nil
}

// Close lets go of the spools' files.
func (p *printer) Close() error {
	return errors.Join(p.results.Close(), p.used.Close(), p.skips.Close())
}
