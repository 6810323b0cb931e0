package migration

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"fmt"
	"os"
	"strings"
	"sync"
)

// Signer signs stamps with a key only this service holds. The validating reviewer then
// tells a stamp the mutating reviewer wrote from one a requester wrote by its signature,
// without reading the VMI again: between the two calls virt-handler may well have written
// the VMI's status (it does so often), and a second read would then deny a migration
// nobody forged.
//
// The key is derived (HKDF-SHA256) from a secret every replica shares: in a cluster, the
// serving certificate's private key, read from the mounted Secret at each use so that a
// renewed key is picked up. The keys seen since start are kept, so a stamp signed just
// before a renewal still verifies; one signed by a key this replica never saw does not,
// and is then checked against the VMI as an unsigned stamp is.
type Signer struct {
	secret func() ([]byte, error)

	mu   sync.Mutex
	keys []signingKey // newest first
}

type signingKey struct {
	id  string
	key []byte
}

// keysKept bounds the keys remembered: a renewal every few weeks needs two.
const keysKept = 4

const signatureVersion = "v1"

// NewFileSigner derives its key from the file at path (the serving key, tls.key).
func NewFileSigner(path string) *Signer {
	return &Signer{secret: func() ([]byte, error) {
		b, err := os.ReadFile(path)
		if err == nil && len(b) == 0 {
			err = fmt.Errorf("%s is empty", path)
		}
		return b, err
	}}
}

// NewSigner derives its key from secret, which must be hard to guess.
func NewSigner(secret []byte) *Signer {
	return &Signer{secret: func() ([]byte, error) { return secret, nil }}
}

// Sign returns the signature of a stamp for the migration of VMI namespace/vmiName.
func (s *Signer) Sign(namespace, vmiName string, st Stamp) (string, error) {
	k, err := s.current()
	if err != nil {
		return "", err
	}
	return signatureVersion + "." + k.id + "." + base64.RawURLEncoding.EncodeToString(k.mac(namespace, vmiName, st)), nil
}

// Verify reports whether signature is this service's signature of the stamp.
func (s *Signer) Verify(namespace, vmiName string, st Stamp, signature string) bool {
	version, rest, _ := strings.Cut(signature, ".")
	id, encoded, _ := strings.Cut(rest, ".")
	mac, err := base64.RawURLEncoding.DecodeString(encoded)
	if version != signatureVersion || err != nil {
		return false
	}
	_, _ = s.current() // a renewed key may have signed it
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.id == id {
			return hmac.Equal(mac, k.mac(namespace, vmiName, st))
		}
	}
	return false
}

// current loads the secret, derives its key and remembers it.
func (s *Signer) current() (signingKey, error) {
	secret, err := s.secret()
	if err != nil {
		return signingKey{}, fmt.Errorf("loading the stamp signing key: %w", err)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "linkstate.kubevirt.io migration stamp "+signatureVersion, 32)
	if err != nil {
		return signingKey{}, err
	}
	sum := sha256.Sum256(key)
	k := signingKey{id: hex.EncodeToString(sum[:4]), key: key}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) == 0 || s.keys[0].id != k.id {
		s.keys = append([]signingKey{k}, s.keys...)
		for i := 1; i < len(s.keys); i++ {
			if s.keys[i].id == k.id { // a key that came back: keep one copy
				s.keys = append(s.keys[:i], s.keys[i+1:]...)
			}
		}
		s.keys = s.keys[:min(len(s.keys), keysKept)]
	}
	return k, nil
}

// mac binds the stamp to the migrated VMI, so a signed stamp cannot be copied onto a
// migration of another VMI.
func (k signingKey) mac(namespace, vmiName string, st Stamp) []byte {
	h := hmac.New(sha256.New, k.key)
	// Names cannot contain a newline and the JSON values escape theirs: the fields
	// cannot run into each other.
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s", AnnotationSignature, namespace, vmiName, st.Interfaces, st.Observed)
	return h.Sum(nil)
}
