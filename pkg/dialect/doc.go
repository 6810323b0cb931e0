// Package dialect finds out which spelling of link state the cluster's KubeVirt accepts:
// linkUp/linkDown (the patched images: seed), up/down (stock KubeVirt >= v1.5: upstream),
// or neither (KubeVirt without link state: none). Defaulting in the wrong spelling would
// make KubeVirt's own webhook refuse every VM create, so `--dialect auto` asks the cluster
// with server-side dry-run creates of a probe VM, before the webhooks report ready and
// again from time to time, and swaps the dialect in force when the answer changes.
package dialect
