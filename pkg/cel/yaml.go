package cel

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WriteYAML writes objs as one multi-document YAML stream for `kubectl apply -f -`, after
// header (comment lines, each written with a leading "# "). The output depends only on
// the objects: the same options always give the same bytes.
func WriteYAML(w io.Writer, header []string, objs []client.Object) error {
	var b strings.Builder
	for _, line := range header {
		b.WriteString(strings.TrimRight("# "+line, " ") + "\n")
	}
	for _, o := range objs {
		doc, err := marshal(o)
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
		b.WriteString("---\n")
		b.Write(doc)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// marshal renders o as YAML (its JSON form, keys sorted) for a reader: without what every
// typed object carries empty (a null creationTimestamp, an empty status or spec), never folding a
// line, and CEL expressions as literal blocks, where they need no escaping.
func marshal(o client.Object) ([]byte, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if meta, ok := m["metadata"].(map[string]any); ok && meta["creationTimestamp"] == nil {
		delete(meta, "creationTimestamp")
	}
	for _, member := range []string{"spec", "status"} {
		if v, ok := m[member].(map[string]any); ok && len(v) == 0 {
			delete(m, member)
		}
	}
	var node yaml.Node
	if err := node.Encode(m); err != nil {
		return nil, err
	}
	literalExpressions(&node)
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// literalExpressions gives the CEL of expression and messageExpression members the
// literal block style when plain style would not do.
func literalExpressions(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			if (key.Value == "expression" || key.Value == "messageExpression") && value.Kind == yaml.ScalarNode &&
				strings.ContainsAny(value.Value, "'\":#{}[]\n") {
				value.Style = yaml.LiteralStyle
			}
		}
	}
	for _, c := range n.Content {
		literalExpressions(c)
	}
}
