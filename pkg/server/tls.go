package server

import "crypto/tls"

// TLSOptions are the webhook server's TLS settings: TLS 1.2 or newer, and HTTP/1.1 only
// unless HTTP/2 is asked for — HTTP/2 stream handling has had denial-of-service CVEs
// (CVE-2023-44487, CVE-2023-39325) and the API server does not need it for webhooks.
func TLSOptions(enableHTTP2 bool) []func(*tls.Config) {
	return []func(*tls.Config){func(c *tls.Config) {
		c.MinVersion = tls.VersionTLS12
		if !enableHTTP2 {
			c.NextProtos = []string{"http/1.1"}
		}
	}}
}
