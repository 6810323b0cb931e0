package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/linkstate-webhook/linkstate-webhook/internal/yamljson"
)

// documentDecoder reads the documents of a manifest stream as JSON, as apimachinery's
// YAMLOrJSONDecoder does — the same documents, the same errors — but converts YAML
// documents with yamljson where it can: sigs.k8s.io/yaml's conversion was most of what
// checking a manifest cost.
//
// A stream that starts like JSON (its first 4096 bytes begin with "{" after white space)
// goes to YAMLOrJSONDecoder itself, which reads JSON and switches to YAML when the JSON
// ends early. Any other stream is split into documents as YAMLOrJSONDecoder splits YAML
// (yamlDocuments), and each document is converted by yamljson or, when it gives up, by
// sigs.k8s.io/yaml as YAMLOrJSONDecoder converts it.
type documentDecoder struct {
	json *utilyaml.YAMLOrJSONDecoder
	yaml *yamlDocuments
}

// sniffBytes is how far YAMLOrJSONDecoder looks for JSON (Parse has always asked 4096).
const sniffBytes = 4096

func newDocumentDecoder(r io.Reader) *documentDecoder {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(sniffBytes)
	if utilyaml.IsJSONBuffer(head) {
		return &documentDecoder{json: utilyaml.NewYAMLOrJSONDecoder(br, sniffBytes)}
	}
	return &documentDecoder{yaml: &yamlDocuments{r: br}}
}

// Decode returns the next document as JSON, or io.EOF after the last.
func (d *documentDecoder) Decode() ([]byte, error) {
	if d.json != nil {
		var raw json.RawMessage
		err := d.json.Decode(&raw)
		return raw, err
	}
	doc, err := d.yaml.Read()
	if err != nil {
		return nil, err
	}
	if raw, ok := yamljson.Convert(doc); ok {
		return raw, nil
	}
	var raw json.RawMessage
	if err := yaml.Unmarshal(doc, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// yamlDocuments splits a YAML stream into documents exactly as apimachinery's YAMLReader
// does — same documents, same errors (FuzzYAMLDocumentsMatchYAMLReader) — without its
// allocation per line:
//
//   - lines end at "\n", a "\r" before it is dropped, and every line is given a "\n",
//     the last one too;
//   - a line starting with "---" ends the document being read; anything after the dashes
//     but white space and a comment is an error; with no document being read, the line
//     is kept, as the start of the next one;
//   - at the end of the stream, the document being read, if any, is the last.
type yamlDocuments struct {
	r   *bufio.Reader
	doc []byte
}

// Read returns the next document, or io.EOF after the last. The document is valid until
// the next Read.
func (y *yamlDocuments) Read() ([]byte, error) {
	y.doc = y.doc[:0]
	for {
		line, err := y.line()
		if err != nil && err != io.EOF {
			return nil, err
		}
		if err == io.EOF {
			if len(y.doc) > 0 {
				return y.doc, nil
			}
			return nil, io.EOF
		}
		if bytes.HasPrefix(line, []byte(yamlSeparator)) {
			if trimmed := strings.TrimSpace(string(line[len(yamlSeparator):])); len(trimmed) > 0 && trimmed[0] != '#' {
				return nil, fmt.Errorf("invalid Yaml document separator: %s", trimmed)
			}
			if len(y.doc) > 0 {
				return y.doc, nil
			}
		}
		y.doc = append(y.doc, line...)
		y.doc = append(y.doc, '\n')
	}
}

const yamlSeparator = "---"

// line reads the next line, without its line break: io.EOF once nothing is left.
func (y *yamlDocuments) line() ([]byte, error) {
	line, err := y.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: gather it.
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = y.r.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err != nil {
		if len(line) > 0 {
			// The last line, without a line break, is kept as it is; the error comes again
			// with the next read (as bufio.Reader.ReadLine has it).
			return line, nil
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, nil
}
