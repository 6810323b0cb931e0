package check

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
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
	dec := utilyaml.NewYAMLOrJSONDecoder(bufio.NewReader(r), 4096)
	var docs []Document
	// n counts the documents that hold something: the decoder also returns a comment
	// before the first "---" (a licence header) as a document of its own, and numbering
	// it would make every source in the file one too high.
	for n := 1; ; {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		src := fmt.Sprintf("%s#%d", source, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		n++
		d, err := document(src, raw)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
}

func document(src string, raw json.RawMessage) ([]Document, error) {
	var head struct {
		metav1.TypeMeta
		Metadata struct {
			Name         string `json:"name"`
			GenerateName string `json:"generateName"`
			Namespace    string `json:"namespace"`
		} `json:"metadata"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
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
