package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
	"github.com/linkstate-webhook/linkstate-webhook/internal/testwait"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/dialect"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/migration"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
)

func TestMain(m *testing.M) {
	// controller-runtime complains (with a stack trace) when no logger is ever set.
	logf.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

// waitLimit bounds every wait in these tests; nothing here should come near it.
const waitLimit = 30 * time.Second

// testServer is the webhook server as cmd/webhook builds it (server.New), on a free local port, with
// certificates from its own CA.
type testServer struct {
	ca      *testpki.CA
	certDir string
	addr    string // host:port
	client  *http.Client
}

// startServer serves the webhooks over TLS until the test ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	ts := &testServer{ca: newTestCA(t), certDir: t.TempDir()}
	certPEM, keyPEM := issue(t, ts.ca, 100, "first")
	writeServingPair(t, ts.certDir, certPEM, keyPEM)

	port := freePort(t)
	ts.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	srv, err := server.New(server.Options{
		Rules:      linkstate.DefaultConfig(),
		Dialect:    dialect.Options{Fixed: linkstate.Seed},
		Migrations: migration.Options{VMIs: migration.VMISet{}, LookupTimeout: time.Second},
		Policies:   policy.Static{},
		// No API server is needed: the VMIs come from the set above, the policies (none) from
		// Policies.
		RestConfig:             &rest.Config{Host: "https://127.0.0.1:1"},
		Host:                   "127.0.0.1",
		Port:                   port,
		CertDir:                ts.certDir,
		HealthProbeBindAddress: "0",
		MetricsBindAddress:     "0",
		ShutdownTimeout:        5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("webhook server stopped with: %v", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("webhook server did not stop within %v", waitLimit)
		}
	})

	pollUntil(t, "the webhook server is ready", func() error {
		select {
		case serr := <-stopped:
			t.Fatalf("webhook server stopped before it was ready: %v", serr)
		default:
		}
		return srv.Started()
	})

	ts.client = ts.newClient(t, &tls.Config{})
	return ts
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// newClient is an HTTPS client that trusts only the test CA; tlsCfg may restrict versions
// or protocols.
func (ts *testServer) newClient(t *testing.T, tlsCfg *tls.Config) *http.Client {
	tlsCfg.RootCAs = ts.ca.Pool()
	tr := &http.Transport{TLSClientConfig: tlsCfg, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: waitLimit}
}

func (ts *testServer) url(path string) string { return "https://" + ts.addr + path }

// post sends body to path and returns the HTTP response with its body read.
func (ts *testServer) post(t *testing.T, client *http.Client, path string, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := client.Post(ts.url(path), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: reading the body: %v", path, err)
	}
	return resp, data
}

// review sends an AdmissionReview v1 with req to path and returns its response, checking
// the envelope: HTTP 200, an admission.k8s.io/v1 AdmissionReview.
func (ts *testServer) review(t *testing.T, path string, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	t.Helper()
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: typeMetaReview,
		Request:  req,
	})
	if err != nil {
		t.Fatal(err)
	}
	envelope, resp := ts.reviewRaw(t, path, body)
	if envelope != typeMetaReview {
		t.Errorf("POST %s: response envelope is %+v, want %+v", path, envelope, typeMetaReview)
	}
	return resp
}

// reviewRaw posts body to path and returns the AdmissionReview's type and response,
// checking that the answer is HTTP 200 and holds a response.
func (ts *testServer) reviewRaw(t *testing.T, path string, body []byte) (metav1.TypeMeta, *admissionv1.AdmissionResponse) {
	t.Helper()
	resp, data := ts.post(t, ts.client, path, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d, want 200; body: %s", path, resp.StatusCode, data)
	}
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &ar); err != nil {
		t.Fatalf("POST %s: response is not an AdmissionReview: %v; body: %s", path, err, data)
	}
	if ar.Response == nil {
		t.Fatalf("POST %s: AdmissionReview without a response; body: %s", path, data)
	}
	return ar.TypeMeta, ar.Response
}

// pollUntil waits up to waitLimit for try to succeed.
func pollUntil(t *testing.T, what string, try func() error) {
	t.Helper()
	testwait.Until(t, what, waitLimit, try)
}

var errNoPeerCert = errors.New("no peer certificate")

// servedCertificate opens a NEW TLS connection and returns the leaf certificate the
// server presents.
func (ts *testServer) servedCertificate() (serial string, commonName string, err error) {
	conn, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: ts.ca.Pool(), ServerName: "127.0.0.1"})
	if err != nil {
		return "", "", err
	}
	defer conn.Close()
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", "", errNoPeerCert
	}
	return fmt.Sprint(certs[0].SerialNumber), certs[0].Subject.CommonName, nil
}
