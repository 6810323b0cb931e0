package check

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/dialect"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// errNoCluster is --dialect auto without a cluster to ask.
var errNoCluster = errors.New("--dialect auto asks the cluster's KubeVirt, but there is no cluster to ask: " +
	"pass --kubeconfig (or set KUBECONFIG), or choose --dialect seed, upstream or none")

// askCluster probes the cluster of kubeconfig (empty: $KUBECONFIG, then ~/.kube/config)
// as the service does, and says which dialect to judge in; note explains a guess.
func askCluster(kubeconfig string, opts dialect.Options, namespace string) (d linkstate.Dialect, note string, err error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := loader.ClientConfig()
	switch {
	case clientcmd.IsEmptyConfig(err):
		return "", "", errNoCluster
	case err != nil:
		return "", "", fmt.Errorf("--dialect auto: reading the kubeconfig: %w", err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return "", "", fmt.Errorf("--dialect auto: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	evidence := dialect.Prober{Client: c, Namespace: namespace}.Probe(ctx)
	if d, ok := dialect.Decide(evidence); ok {
		return d, "", nil
	}
	return opts.Fallback, fmt.Sprintf("dialect: the cluster's answer decides nothing (%s); judging in %s (--dialect-fallback), a guess", evidence, opts.Fallback), nil
}
