// Package dialect proves --dialect auto through a real kube-apiserver: the real webhook
// binary asks the cluster, by dry-run creates, which spelling of link state its KubeVirt
// accepts. envtest runs no KubeVirt, so a stand-in for KubeVirt's validating webhook
// (harness.KubeVirtStandIn, test code) accepts exactly the spellings of the case under test,
// and judges the VMs the tests create as KubeVirt would: a VM our defaulting broke would be
// refused here as on a real cluster.
package dialect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/dialect"
	"github.com/linkstate-webhook/linkstate-webhook/test/harness"
)

var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

var (
	env      *harness.Env
	c        client.Client
	kubevirt *harness.KubeVirtStandIn
	log      = &harness.LogBuffer{}
	nsSeq    atomic.Int32
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	env, err = harness.Start(context.Background(), harness.Options{WebhookLog: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "dialect suite:", err, "\n--- webhook log ---\n", log.String())
		if env != nil {
			_ = env.Stop()
		}
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the environment:", err)
		}
	}()
	cfg := harness.Unthrottled(env.Config)
	if c, err = client.New(cfg, client.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if kubevirt, err = env.StartKubeVirtStandIn(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = kubevirt.Stop() }()
	if err := waitForStandIn(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- webhook log ---\n%s\n", log)
	}
	return code
}

// namespace creates a namespace for one test; labels may opt it out of the stand-in.
func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	name := fmt.Sprintf("d%d-%s", nsSeq.Add(1), strings.Trim(notDNS.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-"))
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return name
}

// status reads /dialect from the running webhook, over TLS.
func status(t *testing.T) dialect.Status {
	t.Helper()
	return statusAt(t, env.WebhookAddr())
}

func statusAt(t *testing.T, addr string) dialect.Status {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(env.Env.WebhookInstallOptions.LocalServingCAData)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/dialect")
	if err != nil {
		t.Fatalf("GET /dialect: %v", err)
	}
	defer resp.Body.Close()
	var s dialect.Status
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /dialect: HTTP %d, %v", resp.StatusCode, err)
	}
	return s
}

// waitForStandIn waits until the API server calls the KubeVirt stand-in: a new webhook
// configuration reaches the admission chain within moments, not at once.
func waitForStandIn() error {
	deadline := time.Now().Add(30 * time.Second)
	for kubevirt.Calls.Load() == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("the KubeVirt stand-in was not called within 30s")
		}
		probe := dialect.ProbeVM(harness.ServiceNamespace, "")
		_ = c.Create(context.Background(), probe, client.DryRunAll)
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
