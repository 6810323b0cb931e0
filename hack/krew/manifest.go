package main

import (
	"fmt"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The krew plugin manifest (krew.googlecontainertools.github.com/v1alpha2, kind Plugin),
// declared here rather than imported: krew's own types and validator
// (sigs.k8s.io/krew/pkg/index, internal/index/validation) come with a go.mod that requires
// k8s.io/client-go v11.0.0+incompatible, which Go's version selection would pick over this
// project's v0.34 — and the validator is internal to krew anyway. validate checks what
// krew's validator checks; the real krew installs the manifest in krew_test.go.
type (
	manifest struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec pluginSpec `json:"spec"`
	}
	pluginSpec struct {
		Version          string     `json:"version"`
		Homepage         string     `json:"homepage,omitempty"`
		ShortDescription string     `json:"shortDescription"`
		Description      string     `json:"description,omitempty"`
		Caveats          string     `json:"caveats,omitempty"`
		Platforms        []platform `json:"platforms"`
	}
	platform struct {
		Selector *metav1.LabelSelector `json:"selector"`
		URI      string                `json:"uri"`
		Sha256   string                `json:"sha256"`
		Files    []fileOperation       `json:"files,omitempty"`
		Bin      string                `json:"bin"`
	}
	fileOperation struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
)

const (
	krewAPIVersion = "krew.googlecontainertools.github.com/v1alpha2"
	pluginName     = "linkstate"
)

var (
	safeName = regexp.MustCompile(`^[\w-]+$`)
	sha256Re = regexp.MustCompile(`^[a-f0-9]{64}$`)
	// semver as krew parses it: v, then MAJOR.MINOR.PATCH, optional pre-release and build.
	semverRe = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
)

// parseManifest reads a manifest strictly: a misspelt field is an error, as it would be
// silently ignored by krew.
func parseManifest(data []byte) (*manifest, error) {
	var m manifest
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// validate applies krew's structural rules for a plugin named name.
func (m *manifest) validate(name string) error {
	switch {
	case m.APIVersion != krewAPIVersion:
		return fmt.Errorf("apiVersion %q, krew reads %q", m.APIVersion, krewAPIVersion)
	case m.Kind != "Plugin":
		return fmt.Errorf("kind %q, krew reads Plugin", m.Kind)
	case !safeName.MatchString(name):
		return fmt.Errorf("plugin name %q does not match %s", name, safeName)
	case m.Metadata.Name != name:
		return fmt.Errorf("metadata.name is %q, the file says %q", m.Metadata.Name, name)
	case m.Spec.ShortDescription == "":
		return fmt.Errorf("spec.shortDescription is empty")
	case strings.ContainsAny(m.Spec.ShortDescription, "\r\n"):
		return fmt.Errorf("spec.shortDescription has a line break")
	case len(m.Spec.Platforms) == 0:
		return fmt.Errorf("spec.platforms is empty")
	case !semverRe.MatchString(m.Spec.Version):
		return fmt.Errorf("spec.version %q is not a v-prefixed semantic version", m.Spec.Version)
	}
	for i, p := range m.Spec.Platforms {
		if err := p.validate(); err != nil {
			return fmt.Errorf("spec.platforms[%d]: %w", i, err)
		}
	}
	return nil
}

func (p platform) validate() error {
	switch {
	case p.URI == "":
		return fmt.Errorf("uri is empty")
	case !sha256Re.MatchString(p.Sha256):
		return fmt.Errorf("sha256 %q is not 64 lower-case hex digits", p.Sha256)
	case p.Bin == "":
		return fmt.Errorf("bin is empty")
	case p.Files != nil && len(p.Files) == 0:
		return fmt.Errorf("files is empty: leave it out or list files")
	case p.Selector == nil || (p.Selector.MatchLabels == nil && len(p.Selector.MatchExpressions) == 0):
		return fmt.Errorf("selector is empty")
	case p.Selector.MatchLabels != nil && len(p.Selector.MatchLabels) == 0:
		return fmt.Errorf("selector.matchLabels is empty")
	}
	for _, f := range p.Files {
		if f.From == "" || f.To == "" {
			return fmt.Errorf("files: from and to must both be set")
		}
	}
	for k := range p.Selector.MatchLabels {
		if k != "os" && k != "arch" {
			return fmt.Errorf("selector key %q: krew matches os and arch only", k)
		}
	}
	for _, e := range p.Selector.MatchExpressions {
		if e.Key != "os" && e.Key != "arch" {
			return fmt.Errorf("selector key %q: krew matches os and arch only", e.Key)
		}
	}
	return nil
}
