package chart

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
)

// servingPKI is a CA and a serving certificate it signed, PEM-encoded, as a user brings
// them for tls.mode=secret.
type servingPKI struct {
	caPEM, certPEM, keyPEM []byte
}

func issueServingPKI(t *testing.T, dnsNames ...string) servingPKI {
	t.Helper()
	ca, err := testpki.NewCA("chart-test-ca")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue(dnsNames[0], 2, dnsNames, nil)
	if err != nil {
		t.Fatal(err)
	}
	return servingPKI{caPEM: ca.CertPEM(), certPEM: certPEM, keyPEM: keyPEM}
}

// verifyServingCertificate checks what the API server checks when it calls the webhook:
// certPEM chains to caPEM for server auth under each DNS name. It also checks that keyPEM
// is certPEM's key, as the webhook's TLS listener will. It returns the certificate.
func verifyServingCertificate(t *testing.T, caPEM, certPEM, keyPEM []byte, dnsNames []string) *x509.Certificate {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatalf("ca.crt holds no PEM certificate:\n%s", caPEM)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("tls.crt and tls.key are not a pair: %v", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range dnsNames {
		_, err := cert.Verify(x509.VerifyOptions{
			DNSName:   name,
			Roots:     roots,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			t.Errorf("the serving certificate does not verify for %s against ca.crt: %v", name, err)
		}
	}
	return cert
}
