package cel

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ChartPrefix stands for the chart's fullname in the policies the Helm chart carries; the
// chart puts the fullname in its place when it renders them.
const ChartPrefix = "linkstate-chart-fullname"

// ChartFiles are the policies the Helm chart carries, by file name (under the chart's
// files/cel): for each dialect, the validating policies with the params guard, and the
// mutating ones. They depend on the dialect only. The bindings and the params ConfigMap
// depend on the release and on the values, so the chart templates those itself.
func ChartFiles() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, d := range Dialects {
		opts := DefaultOptions()
		opts.Config.Dialect = d
		opts.Prefix = ChartPrefix
		p, err := Generate(opts)
		if err != nil {
			return nil, err
		}
		validating := []client.Object{p.ParamsGuard}
		for _, v := range p.Validating {
			validating = append(validating, v)
		}
		var mutating []client.Object
		for _, m := range p.Mutating {
			mutating = append(mutating, m)
		}
		for role, objs := range map[string][]client.Object{"validating": validating, "mutating": mutating} {
			var b bytes.Buffer
			header := []string{
				fmt.Sprintf("The %s admission policies of linkstate-webhook, %s dialect, generated from pkg/cel", role, d),
				"by `make cel-chart`: do not edit. templates/cel.yaml renders them, " + ChartPrefix + " replaced by the fullname.",
			}
			if err := WriteYAML(&b, header, objs); err != nil {
				return nil, err
			}
			files[fmt.Sprintf("%s-%s.yaml", d, role)] = b.Bytes()
		}
	}
	return files, nil
}
