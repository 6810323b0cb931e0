package main

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/ownertool"
)

// Shell completion (cobra's __complete protocol, which `kubectl linkstate completion bash`
// scripts and kubectl's plugin completion call): resource types, then the names of the
// namespace's VMs or VMIs, then interface names — IFACE= and its states for set.

type interfaceCompletion int

const (
	noInterfaces   interfaceCompletion = iota
	assignments                        // set: IFACE=STATE
	interfaceNames                     // unplug: IFACE
)

// completeObjects completes `(vm|vmi) NAME` (or vm/NAME), then, for set and unplug, the
// object's interfaces.
func completeObjects(e *env, withInterfaces bool) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		mode := noInterfaces
		if withInterfaces {
			mode = interfaceNames
			if c.Name() == "set" {
				mode = assignments
			}
		}
		switch {
		case len(args) == 0 && strings.Contains(toComplete, "/"):
			kind, _, _ := strings.Cut(toComplete, "/")
			t, err := ownertool.ParseTarget(kind)
			if err != nil {
				return nil, none
			}
			var out []string
			for _, n := range e.objectNames(t) {
				out = append(out, kind+"/"+n)
			}
			return withPrefix(out, toComplete), none
		case len(args) == 0:
			return withPrefix([]string{"vm", "vmi"}, toComplete), none
		case len(args) == 1 && !strings.Contains(args[0], "/"):
			t, err := ownertool.ParseTarget(args[0])
			if err != nil {
				return nil, none
			}
			return withPrefix(e.objectNames(t), toComplete), none
		}
		if mode == noInterfaces {
			return nil, none
		}
		t, name, given, err := ownertool.ParseObjectArgs(args, false)
		if err != nil {
			return nil, none
		}
		return e.completeInterfaces(t, name, given, toComplete, mode)
	}
}

func (e *env) completeInterfaces(t ownertool.Target, name string, given []string, toComplete string, mode interfaceCompletion) ([]string, cobra.ShellCompDirective) {
	none := cobra.ShellCompDirectiveNoFileComp
	if mode == assignments && strings.Contains(toComplete, "=") {
		iface, _, _ := strings.Cut(toComplete, "=")
		return withPrefix([]string{iface + "=up", iface + "=down"}, toComplete), none
	}
	client, ns, err := e.client()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	ctx, cancel := contextWithSignals()
	defer cancel()
	obj, err := client.Get(ctx, t, ns, name)
	if err != nil {
		cobra.CompErrorln(err.Error())
		return nil, cobra.ShellCompDirectiveError
	}
	named := map[string]bool{}
	for _, g := range given {
		iface, _, _ := strings.Cut(g, "=")
		named[iface] = true
	}
	var out []string
	for _, iface := range obj.Interfaces() {
		if named[iface.Name] || iface.State == linkstate.Absent {
			continue
		}
		if mode == assignments {
			out = append(out, iface.Name+"=")
		} else {
			out = append(out, iface.Name)
		}
	}
	if mode == assignments {
		return withPrefix(out, toComplete), none | cobra.ShellCompDirectiveNoSpace
	}
	return withPrefix(out, toComplete), none
}

// withPrefix keeps the candidates that extend what was typed, as kubectl's own completion
// does (some shells filter again; none needs the rest).
func withPrefix(candidates []string, typed string) []string {
	var out []string
	for _, c := range candidates {
		if strings.HasPrefix(c, typed) {
			out = append(out, c)
		}
	}
	return out
}

// objectNames lists the names of the namespace's VMs or VMIs; completion stays silent on
// errors (no cluster, no rights).
func (e *env) objectNames(t ownertool.Target) []string {
	return e.names(t.Resource, true)
}

func (e *env) names(resource schema.GroupVersionResource, namespaced bool) []string {
	client, ns, err := e.client()
	if err != nil {
		return nil
	}
	if !namespaced {
		ns = ""
	}
	ctx, cancel := contextWithSignals()
	defer cancel()
	list, err := client.Dynamic.Resource(resource).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		cobra.CompErrorln(err.Error())
		return nil
	}
	out := make([]string, 0, len(list.Items))
	for _, item := range list.Items {
		out = append(out, item.GetName())
	}
	return out
}

// registerConnectionCompletion completes --namespace from the cluster and --context,
// --cluster and --user from the kubeconfig, as kubectl does.
func registerConnectionCompletion(root *cobra.Command, e *env) {
	none := cobra.ShellCompDirectiveNoFileComp
	_ = root.RegisterFlagCompletionFunc("namespace", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return e.names(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, false), none
	})
	fromKubeconfig := func(kind string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			cfg, err := e.flags.ToRawKubeConfigLoader().RawConfig()
			if err != nil {
				return nil, none
			}
			var names []string
			switch kind {
			case "context":
				for n := range cfg.Contexts {
					names = append(names, n)
				}
			case "cluster":
				for n := range cfg.Clusters {
					names = append(names, n)
				}
			case "user":
				for n := range cfg.AuthInfos {
					names = append(names, n)
				}
			}
			sort.Strings(names)
			return names, none
		}
	}
	for _, kind := range []string{"context", "cluster", "user"} {
		_ = root.RegisterFlagCompletionFunc(kind, fromKubeconfig(kind))
	}
}
