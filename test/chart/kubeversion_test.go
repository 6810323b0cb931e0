package chart

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"
)

const needs130 = "linkstate-webhook needs Kubernetes >= 1.30"

// GitOps tools run `helm template` with no flags, for which Helm assumes Kubernetes
// v1.20.0: the chart must render there all the same.
func TestTemplateRendersWithoutFlags(t *testing.T) {
	out, err := runHelm(t, "template", "lw", chartDir)
	if err != nil {
		t.Fatalf("helm template with no flags: %v", err)
	}
	objs, err := parseObjects(out)
	if err != nil || objs.find("ValidatingWebhookConfiguration", "lw-linkstate-webhook-validating") == nil {
		t.Errorf("rendered %v (%v), want the webhook configurations", objs.names(), err)
	}
}

// A version given with --kube-version is checked: the chart refuses clusters older than
// 1.30, where webhook matchConditions are off by default and the shipped webhooks would be
// called for every VMI status write; vendor builds of a supported version are accepted.
func TestKubeVersionGuardOnTemplate(t *testing.T) {
	tests := map[string]bool{
		"1.29.9":              false,
		"1.30.0":              true,
		"v1.30.2-eks-a737599": true,
		"1.34.4":              true,
	}
	for version, accepted := range tests {
		out, err := runHelm(t, "template", "lw", chartDir, "--kube-version", version)
		if accepted && err != nil {
			t.Errorf("kube %s: refused: %v\n%s", version, err, out)
		}
		if !accepted && (err == nil || !strings.Contains(err.Error(), needs130+" (webhook matchConditions, the preStop sleep action), not v"+version)) {
			t.Errorf("kube %s: want the version refusal, got err=%v", version, err)
		}
	}
}

// Against a real cluster the version is the cluster's own. An API server that says it is
// older — the shared envtest API server behind a proxy that rewrites its /version answer,
// everything else passed through as the admin — refuses the install before anything is
// sent, also when it says v1.20.0, the version Helm assumes when it knows none; the
// install tests on the same API server, unproxied, show the other side.
func TestKubeVersionGuardAgainstAnOldCluster(t *testing.T) {
	c := apiServer(t)
	transport, err := rest.TransportFor(c.env.Config)
	if err != nil {
		t.Fatal(err)
	}
	upstream, err := url.Parse(c.env.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.Transport = transport
	for _, v := range []version.Info{
		{Major: "1", Minor: "29", GitVersion: "v1.29.9"},
		{Major: "1", Minor: "20", GitVersion: "v1.20.0"},
	} {
		t.Run(v.GitVersion, func(t *testing.T) {
			old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/version" {
					w.Header().Set("Content-Type", "application/json")
					_ = json.NewEncoder(w).Encode(v)
					return
				}
				proxy.ServeHTTP(w, r)
			}))
			defer old.Close()
			installOn(t, old.URL, v.GitVersion)
		})
	}
}

func installOn(t *testing.T, server, version string) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: old, cluster: {server: "`+server+`"}}]
users: [{name: anyone, user: {}}]
contexts: [{name: old, context: {cluster: old, user: anyone}}]
current-context: old
`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := runHelm(t, "install", "lw", chartDir, "--kubeconfig", kubeconfig, "--namespace", "default", "--dry-run=server")
	if err == nil || !strings.Contains(err.Error(), needs130+" (webhook matchConditions, the preStop sleep action), not "+version) {
		t.Errorf("install on a %s cluster: err = %v, want the version refusal", version, err)
	}
}
