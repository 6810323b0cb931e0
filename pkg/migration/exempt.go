package migration

import (
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
)

// Exemptions are the identities allowed to write the stamped migration annotations
// themselves: KubeVirt's own components, which may need to re-stamp or clean up.
type Exemptions struct {
	Users  []string
	Groups []string
}

// DefaultExemptUsers are KubeVirt's service accounts in its default namespace.
var DefaultExemptUsers = []string{
	"system:serviceaccount:kubevirt:kubevirt-controller",
	"system:serviceaccount:kubevirt:kubevirt-handler",
	"system:serviceaccount:kubevirt:kubevirt-apiserver",
}

// ParseExemptions reads entries of the form "user" or "group:name".
func ParseExemptions(entries []string) Exemptions {
	var e Exemptions
	for _, entry := range entries {
		if g, ok := strings.CutPrefix(entry, "group:"); ok {
			e.Groups = append(e.Groups, g)
		} else {
			e.Users = append(e.Users, entry)
		}
	}
	return e
}

// Exempt reports whether the requester is one of the exempt identities.
func (e Exemptions) Exempt(u authenticationv1.UserInfo) bool {
	for _, name := range e.Users {
		if u.Username == name {
			return true
		}
	}
	for _, g := range e.Groups {
		for _, ug := range u.Groups {
			if ug == g {
				return true
			}
		}
	}
	return false
}
