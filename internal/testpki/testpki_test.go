package testpki_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/linkstate-webhook/linkstate-webhook/internal/testpki"
)

func TestIssuedCertificatesVerifyAgainstTheCA(t *testing.T) {
	ca, err := testpki.NewCA("testpki CA")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueLoopback("loopback", 42)
	if err != nil {
		t.Fatal(err)
	}
	cert := parsePair(t, certPEM, keyPEM)
	if cert.SerialNumber.Int64() != 42 || cert.Subject.CommonName != "loopback" {
		t.Errorf("serial=%v CN=%q, want 42 and loopback", cert.SerialNumber, cert.Subject.CommonName)
	}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: ca.Pool()}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// The PEM bundle trusts what the pool trusts.
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca.CertPEM()) {
		t.Fatalf("CertPEM holds no certificate:\n%s", ca.CertPEM())
	}
	certPEM, keyPEM, err = ca.Issue("svc.example", 2, []string{"svc.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert = parsePair(t, certPEM, keyPEM)
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "svc.example", Roots: roots}); err != nil {
		t.Error(err)
	}
	if len(cert.IPAddresses) != 0 {
		t.Errorf("IP SANs %v, want none", cert.IPAddresses)
	}
}

func TestWriters(t *testing.T) {
	ca, err := testpki.NewCA("testpki CA")
	if err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func(dir string, certPEM, keyPEM []byte) error{
		"in place": testpki.WriteInPlace,
		"atomic":   testpki.WriteAtomic,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, serial := range []int64{1, 2} {
				certPEM, keyPEM, err := ca.IssueLoopback("w", serial)
				if err != nil {
					t.Fatal(err)
				}
				if err := write(dir, certPEM, keyPEM); err != nil {
					t.Fatal(err)
				}
				gotCert, err := os.ReadFile(filepath.Join(dir, "tls.crt"))
				if err != nil {
					t.Fatal(err)
				}
				gotKey, err := os.ReadFile(filepath.Join(dir, "tls.key"))
				if err != nil {
					t.Fatal(err)
				}
				if string(gotCert) != string(certPEM) || string(gotKey) != string(keyPEM) {
					t.Fatalf("after writing serial %d, the directory holds another pair", serial)
				}
			}
			if name == "atomic" {
				versions, _ := filepath.Glob(filepath.Join(dir, "..version-*"))
				if len(versions) != 1 {
					t.Errorf("version directories %v, want only the current one", versions)
				}
			}
		})
	}
}

func parsePair(t *testing.T, certPEM, keyPEM []byte) *x509.Certificate {
	t.Helper()
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
