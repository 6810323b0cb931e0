package server

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// CertificateChecker fails while the serving certificate and key in certDir cannot be
// loaded as a pair — a missing or half-written secret shows up in /healthz rather than as
// TLS handshake errors in the API server's log.
func CertificateChecker(certDir, certName, keyName string) healthz.Checker {
	certPath, keyPath := filepath.Join(certDir, certName), filepath.Join(certDir, keyName)
	return func(*http.Request) error {
		if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
			return fmt.Errorf("serving certificate: %w", err)
		}
		return nil
	}
}
