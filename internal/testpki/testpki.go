// Package testpki is throw-away PKI for tests and test tooling: a CA, the serving
// certificates it signs, and the two ways a certificate directory gets replaced in a
// cluster. Every certificate is ECDSA P-256, valid from an hour ago for a day. Nothing
// here is for production use.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a throw-away certificate authority, as cert-manager's issuer would be in a
// cluster: renewals are new keys signed by the same CA, so clients that trust the CA never
// notice a rotation.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA makes a self-signed CA (serial 1) named commonName.
func NewCA(commonName string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key}, nil
}

// Pool trusts this CA and nothing else.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// CertPEM is the CA's certificate, PEM-encoded: a ca.crt, or a webhook's caBundle.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// Issue signs a serving certificate (server auth) with a fresh key for dnsNames and ips,
// and returns both PEM-encoded (the key as an EC PRIVATE KEY).
func (ca *CA) Issue(commonName string, serial int64, dnsNames []string, ips []net.IP) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  ips,
		DNSNames:     dnsNames,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// IssueLoopback is Issue for a server on this machine: 127.0.0.1 and localhost.
func (ca *CA) IssueLoopback(commonName string, serial int64) (certPEM, keyPEM []byte, err error) {
	return ca.Issue(commonName, serial, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})
}

// WriteInPlace overwrites tls.crt, then tls.key, in dir: for a moment the two do not match,
// as when a tool rewrites the files one by one (or a test lays a directory out once).
func WriteInPlace(dir string, certPEM, keyPEM []byte) error {
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), certPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tls.key"), keyPEM, 0o600)
}

// WriteAtomic updates dir the way the kubelet updates a mounted Secret (its AtomicWriter):
// the files live in a timestamped directory, tls.crt and tls.key are symlinks through
// ..data, and ..data is swapped to the new directory with one rename, so a reader sees
// either the old pair or the new one. The first call lays the structure out.
func WriteAtomic(dir string, certPEM, keyPEM []byte) error {
	version, err := os.MkdirTemp(dir, "..version-")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(version, "tls.crt"), certPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(version, "tls.key"), keyPEM, 0o600); err != nil {
		return err
	}
	data := filepath.Join(dir, "..data")
	previous, _ := os.Readlink(data)
	tmpLink := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(version), tmpLink); err != nil {
		return err
	}
	if err := os.Rename(tmpLink, data); err != nil {
		return err
	}
	for _, name := range []string{"tls.crt", "tls.key"} {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				return err
			}
		}
	}
	if previous != "" {
		return os.RemoveAll(filepath.Join(dir, previous))
	}
	return nil
}
