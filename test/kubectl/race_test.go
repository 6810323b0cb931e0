package kubectl

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// apiProxy sits between the plugin and the API server, as the admin, so a test can act
// at the very moment the plugin sends a request. before is called with each request before
// it is forwarded. It returns a kubeconfig for the proxy and the requests it saw.
func apiProxy(t *testing.T, before func(*http.Request)) (kubeconfig string, seen func() []string) {
	t.Helper()
	target, err := url.Parse(env.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requests []string
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = transport
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.URL.Path+queryOf(r))
		mu.Unlock()
		before(r)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(server.Close)

	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: server.URL}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy"}
	cfg.CurrentContext = "proxy"
	kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		t.Fatal(err)
	}
	return kubeconfig, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), requests...)
	}
}

func queryOf(r *http.Request) string {
	if r.URL.Query().Has("dryRun") {
		return "?dryRun"
	}
	return ""
}

// An interface list reordered between the plugin's read and its patch: the test op on the
// name fails, the API server applies nothing, and the plugin says what happened.
func TestSetFailsSafelyOnAConcurrentReorder(t *testing.T) {
	ns := namespace(t)
	createVM(t, ns, "web", iface{name: "default", binding: "masquerade", pod: true},
		iface{name: "blue", binding: "bridge"}, iface{name: "red", binding: "bridge"})
	path := fmt.Sprintf("/apis/kubevirt.io/v1/namespaces/%s/virtualmachines/web", ns)
	var once sync.Once
	kubeconfig, seen := apiProxy(t, func(r *http.Request) {
		if r.Method != http.MethodPatch || r.URL.Path != path {
			return
		}
		// Someone else swaps blue and red just before the patch arrives.
		once.Do(func() {
			vm := get(t, vmGVK, ns, "web")
			list, _, _ := unstructured.NestedSlice(vm.Object, interfacesPath(vm)...)
			list[1], list[2] = list[2], list[1]
			if err := unstructured.SetNestedSlice(vm.Object, list, interfacesPath(vm)...); err != nil {
				t.Error(err)
			}
			if err := c.Update(context.Background(), vm); err != nil {
				t.Errorf("reordering: %v", err)
			}
		})
	})

	r := invocation{kubeconfig: kubeconfig}.run(t, "-n", ns, "set", "vm", "web", "blue=down")
	r.expect(t, 1, nil, []string{"error: the interfaces of vm/web changed while this command ran (an interface was reordered, added or removed), so nothing was changed"})
	if diff := cmp.Diff([]string{"default=linkUp", "red=linkUp", "blue=linkUp"}, states(t, get(t, vmGVK, ns, "web"))); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GET " + path, "PATCH " + path}, seen()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	// Run again, it reads the new order and patches the right interface.
	r = invocation{kubeconfig: kubeconfig}.run(t, "-n", ns, "set", "vm", "web", "blue=down")
	r.expect(t, 0, []string{"blue linkUp -> linkDown"}, nil)
	if diff := cmp.Diff([]string{"default=linkUp", "red=linkUp", "blue=linkDown"}, states(t, get(t, vmGVK, ns, "web"))); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

// The plugin sends one patch that carries every change, with a test op before each write.
func TestSetSendsOnePatch(t *testing.T) {
	ns := namespace(t)
	createVM(t, ns, "web", iface{name: "default", binding: "masquerade", pod: true},
		iface{name: "blue", binding: "bridge"}, iface{name: "red", binding: "bridge", state: "linkDown"})
	var body string
	var mu sync.Mutex
	kubeconfig, seen := apiProxy(t, func(r *http.Request) {
		if r.Method != http.MethodPatch {
			return
		}
		raw, err := httputil.DumpRequest(r, true)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		body = string(raw[strings.Index(string(raw), "\r\n\r\n")+4:])
		mu.Unlock()
	})
	invocation{kubeconfig: kubeconfig}.run(t, "-n", ns, "set", "vm", "web", "blue=down", "red=up").expect(t, 0, nil, nil)
	const p = "/spec/template/spec/domain/devices/interfaces/"
	want := `[{"op":"test","path":"` + p + `1/name","value":"blue"},{"op":"test","path":"` + p + `2/name","value":"red"},` +
		`{"op":"replace","path":"` + p + `1/state","value":"linkDown"},{"op":"replace","path":"` + p + `2/state","value":"linkUp"}]`
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("patch (-want +got):\n%s", diff)
	}
	path := fmt.Sprintf("/apis/kubevirt.io/v1/namespaces/%s/virtualmachines/web", ns)
	if diff := cmp.Diff([]string{"GET " + path, "PATCH " + path}, seen()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
