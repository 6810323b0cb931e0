package server_test

import (
	"testing"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
)

// newTestCA is a throw-away certificate authority for these tests' serving certificates.
func newTestCA(t *testing.T) *testpki.CA {
	t.Helper()
	ca, err := testpki.NewCA("linkstate-webhook test CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// issue returns a PEM serving certificate and key for 127.0.0.1 and localhost.
func issue(t *testing.T, ca *testpki.CA, serial int64, commonName string) (certPEM, keyPEM []byte) {
	t.Helper()
	certPEM, keyPEM, err := ca.IssueLoopback(commonName, serial)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM
}

// writeServingPair writes tls.crt and tls.key into dir, in place (as a kubelet-updated
// secret volume would change their content).
func writeServingPair(t *testing.T, dir string, certPEM, keyPEM []byte) {
	t.Helper()
	if err := testpki.WriteInPlace(dir, certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
}
