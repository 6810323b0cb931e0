package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/linkstate-webhook/linkstate-webhook/internal/jsonprune"
)

// Document is one object read from a manifest, as JSON.
type Document struct {
	// Source says where it came from: file name and document number (from 1, counting
	// only documents that are not empty).
	Source string
	Raw    json.RawMessage
	metav1.TypeMeta
	Namespace, Name string
}

// Parse reads every document of a YAML or JSON stream. Empty documents are dropped and the
// items of a v1 List are returned one by one. Any document that is not a JSON object with
// a kind is an error naming its source.
func Parse(source string, r io.Reader) ([]Document, error) {
	var docs []Document
	if err := parseEach(source, r, func(d Document) error {
		docs = append(docs, d)
		return nil
	}); err != nil {
		return nil, err
	}
	return docs, nil
}

// parseEach is Parse handing each document to each as soon as it is read; it stops at the
// first error, each's included.
func parseEach(source string, r io.Reader, each func(Document) error) error {
	dec := newDocumentDecoder(r)
	// n counts the documents that hold something: the decoder also returns a comment
	// before the first "---" (a licence header) as a document of its own, and numbering
	// it would make every source in the file one too high.
	for n := 1; ; {
		raw, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			return nil
		}
		src := fmt.Sprintf("%s#%d", source, n)
		if err != nil {
			return fmt.Errorf("%s, document %d: %w", source, n, err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		n++
		d, err := document(src, fmt.Sprintf("%s, document %d", source, n-1), raw)
		if err != nil {
			return err
		}
		for _, doc := range d {
			if err := each(doc); err != nil {
				return err
			}
		}
	}
}

// documentHead is what document reads of every manifest. It is an alias, not a type of
// its own, so that a decoding error still spells the type out.
type documentHead = struct {
	metav1.TypeMeta
	Metadata struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
		Namespace    string `json:"namespace"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// headDecoder reads what json.Unmarshal reads of a manifest, without scanning the members
// the head has no fields for twice (see jsonprune).
var headDecoder = jsonprune.NewFoldingDecoder[documentHead]()

// document reads one document; src names it in results (file#n, file#n.items[i]) and
// where in errors (file, document n, item i).
func document(src, where string, raw json.RawMessage) ([]Document, error) {
	if found := jsonKind(raw); found != "object" {
		return nil, fmt.Errorf("%s: not a Kubernetes object: expected a mapping with apiVersion and kind, found %s", where, found)
	}
	var head documentHead
	if err := headDecoder.Unmarshal(raw, &head); err != nil {
		// The error as encoding/json words it, which unmarshalError knows how to read.
		if jsonErr := json.Unmarshal(raw, new(documentHead)); jsonErr != nil {
			err = jsonErr
		}
		return nil, fmt.Errorf("%s: not a Kubernetes object: %w", where, unmarshalError(err))
	}
	if head.Kind == "" {
		return nil, fmt.Errorf("%s: not a Kubernetes object: it has no kind", where)
	}
	if head.APIVersion == "v1" && head.Kind == "List" {
		var docs []Document
		for i, item := range head.Items {
			d, err := document(fmt.Sprintf("%s.items[%d]", src, i), fmt.Sprintf("%s, item %d", where, i), item)
			if err != nil {
				return nil, err
			}
			docs = append(docs, d...)
		}
		return docs, nil
	}
	name := head.Metadata.Name
	if name == "" {
		name = head.Metadata.GenerateName
	}
	return []Document{{Source: src, Raw: raw, TypeMeta: head.TypeMeta, Namespace: head.Metadata.Namespace, Name: name}}, nil
}

// jsonKind names the kind of JSON value raw holds, for errors: "object", "a string
// (\"hello world\")", "a list", "a number", "true or false".
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch c := raw[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "a list"
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil && len(s) > 40 {
			s = s[:40] + "…"
		}
		return fmt.Sprintf("a string (%q): is this a manifest?", s)
	case c == 't' || c == 'f':
		return "true or false"
	case c == 'n':
		return "null"
	}
	return "a number"
}

// unmarshalError says which member of the object had the wrong type, without the Go type
// encoding/json names.
func unmarshalError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fmt.Errorf("%s is a %s, not what Kubernetes objects have there", strings.TrimPrefix(typeErr.Field, "TypeMeta."), typeErr.Value)
	}
	return err
}
