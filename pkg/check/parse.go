package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

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
			return fmt.Errorf("%s: %w", src, err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		n++
		d, err := document(src, raw)
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

func document(src string, raw json.RawMessage) ([]Document, error) {
	var head documentHead
	if err := headDecoder.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("%s: not a Kubernetes object: %w", src, err)
	}
	if head.Kind == "" {
		return nil, fmt.Errorf("%s: not a Kubernetes object: no kind", src)
	}
	if head.APIVersion == "v1" && head.Kind == "List" {
		var docs []Document
		for i, item := range head.Items {
			d, err := document(fmt.Sprintf("%s.items[%d]", src, i), item)
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
