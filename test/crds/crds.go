// Package crds builds CustomResourceDefinitions for KubeVirt's VirtualMachine,
// VirtualMachineInstance and VirtualMachineInstanceMigration with KubeVirt's
// real, generated OpenAPI v3 schemas, for use with envtest.
//
// The schemas are not vendored or hand-written: they are read at test time
// from the kubevirt.io/kubevirt source module (pinned to KubeVirtVersion),
// which is fetched with `go mod download` and is deliberately not a
// requirement in go.mod. KubeVirt keeps the schemas as YAML text in
// pkg/virt-operator/resource/generate/components/validations_generated.go;
// that file is parsed with go/parser (it is never compiled or imported).
package crds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// KubeVirtVersion is the pinned kubevirt.io/kubevirt module version the schemas come from.
const KubeVirtVersion = "v1.9.0"

const (
	kubevirtModule = "kubevirt.io/kubevirt"
	// validationsFile is the file, relative to the module root, that holds
	// KubeVirt's generated per-CRD OpenAPI schemas.
	validationsFile = "pkg/virt-operator/resource/generate/components/validations_generated.go"
	group           = "kubevirt.io"
)

// crdDef describes one CRD. The names and printer columns follow
// pkg/virt-operator/resource/generate/components/crds.go of KubeVirt.
type crdDef struct {
	kind       string
	singular   string // also the key of the schema in validations_generated.go
	plural     string
	shortNames []string
	columns    []apiextensionsv1.CustomResourceColumnDefinition
	// statusSubresource enables the /status subresource, as KubeVirt does for
	// VirtualMachine and VirtualMachineInstanceMigration but NOT for
	// VirtualMachineInstance: virt-handler writes VMI status through the main
	// resource, so VMI status updates reach the VMI webhooks. The tests must see
	// the same traffic a real cluster sends.
	statusSubresource bool
}

var defs = []crdDef{
	{
		kind:       "VirtualMachine",
		singular:   "virtualmachine",
		plural:     "virtualmachines",
		shortNames: []string{"vm", "vms"},
		columns: []apiextensionsv1.CustomResourceColumnDefinition{
			{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
			{Name: "Status", Description: "Human Readable Status", Type: "string", JSONPath: ".status.printableStatus"},
			{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"},
		},
		statusSubresource: true,
	},
	{
		kind:       "VirtualMachineInstance",
		singular:   "virtualmachineinstance",
		plural:     "virtualmachineinstances",
		shortNames: []string{"vmi", "vmis"},
		columns: []apiextensionsv1.CustomResourceColumnDefinition{
			{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
			{Name: "Phase", Type: "string", JSONPath: ".status.phase"},
			{Name: "IP", Type: "string", JSONPath: ".status.interfaces[0].ipAddress"},
			{Name: "NodeName", Type: "string", JSONPath: ".status.nodeName"},
			{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"},
			{Name: "Live-Migratable", Type: "string", JSONPath: ".status.conditions[?(@.type=='LiveMigratable')].status", Priority: 1},
			{Name: "Paused", Type: "string", JSONPath: ".status.conditions[?(@.type=='Paused')].status", Priority: 1},
		},
		statusSubresource: false, // as upstream: see crdDef
	},
	{
		kind:       "VirtualMachineInstanceMigration",
		singular:   "virtualmachineinstancemigration",
		plural:     "virtualmachineinstancemigrations",
		shortNames: []string{"vmim", "vmims"},
		columns: []apiextensionsv1.CustomResourceColumnDefinition{
			{Name: "Phase", Type: "string", JSONPath: ".status.phase", Description: "The current phase of VM instance migration"},
			{Name: "VMI", Type: "string", JSONPath: ".spec.vmiName", Description: "The name of the VMI to perform the migration on"},
		},
		statusSubresource: true,
	},
}

var (
	buildOnce sync.Once
	built     []*apiextensionsv1.CustomResourceDefinition
	buildErr  error
)

// Objects returns the CRDs as typed objects (apiextensionsv1.CustomResourceDefinition), for envtest's CRDInstallOptions.CRDs.
//
// The first call downloads (or finds in the module cache) kubevirt.io/kubevirt
// and parses its schemas; later calls in the same process reuse that result.
// Every call returns fresh deep copies, so callers may modify them.
func Objects() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	buildOnce.Do(func() { built, buildErr = build() })
	if buildErr != nil {
		return nil, buildErr
	}
	out := make([]*apiextensionsv1.CustomResourceDefinition, len(built))
	for i, crd := range built {
		out[i] = crd.DeepCopy()
	}
	return out, nil
}

// Generate writes one YAML file per CRD into dir (created if missing) and returns the file paths.
// It runs `go mod download -json kubevirt.io/kubevirt@KubeVirtVersion` (the go
// command on PATH, with the caller's environment, so GOPROXY, GOFLAGS,
// GOMODCACHE, GONOSUMDB etc. apply) to find the module directory. The command
// runs in an empty temporary directory with GOWORK=off, so no go.mod, go.sum
// or go.work is read or written.
//
// Files are named like controller-gen output: kubevirt.io_<plural>.yaml.
// The result of the first call is reused by later calls (see Objects).
func Generate(dir string) ([]string, error) {
	objs, err := Objects()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("crds: creating output directory: %w", err)
	}
	paths := make([]string, 0, len(objs))
	for _, crd := range objs {
		data, err := marshalCRD(crd)
		if err != nil {
			return nil, fmt.Errorf("crds: marshalling CRD %s to YAML: %w", crd.Name, err)
		}
		p := filepath.Join(dir, group+"_"+crd.Spec.Names.Plural+".yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, fmt.Errorf("crds: writing CRD %s: %w", crd.Name, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// marshalCRD renders a CRD as YAML without the server-populated status
// (which the typed struct would otherwise always emit).
func marshalCRD(crd *apiextensionsv1.CustomResourceDefinition) ([]byte, error) {
	j, err := json.Marshal(crd)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	y, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	header := fmt.Sprintf("# Generated by github.com/linkstate-webhook/linkstate-webhook/test/crds from\n"+
		"# %s@%s/%s. DO NOT EDIT.\n", kubevirtModule, KubeVirtVersion, validationsFile)
	return append([]byte(header), y...), nil
}

func build() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	modDir, err := moduleDir()
	if err != nil {
		return nil, err
	}
	return buildFrom(modDir)
}

// buildFrom builds the CRDs from the kubevirt.io/kubevirt module in modDir.
func buildFrom(modDir string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	path := filepath.Join(modDir, filepath.FromSlash(validationsFile))
	schemas, err := readSchemaStrings(path)
	if err != nil {
		return nil, err
	}
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(defs))
	for _, d := range defs {
		text, ok := schemas[d.singular]
		if !ok {
			return nil, fmt.Errorf("crds: %s@%s: %s has no schema entry %q (found %d entries: %s)",
				kubevirtModule, KubeVirtVersion, validationsFile, d.singular, len(schemas), strings.Join(sortedKeys(schemas), ", "))
		}
		validation, err := decodeValidation(text)
		if err != nil {
			return nil, fmt.Errorf("crds: %s@%s: decoding schema %q from %s: %w",
				kubevirtModule, KubeVirtVersion, d.singular, validationsFile, err)
		}
		out = append(out, newCRD(d, validation))
	}
	return out, nil
}

// moduleDir returns the directory of kubevirt.io/kubevirt@KubeVirtVersion in
// the module cache, downloading it through the configured GOPROXY if needed.
func moduleDir() (string, error) {
	// Run outside of any module so that the caller's go.mod/go.sum/go.work
	// is neither consulted nor touched (the module is not a requirement).
	tmp, err := os.MkdirTemp("", "kubevirt-crds-")
	if err != nil {
		return "", fmt.Errorf("crds: creating temp dir for go mod download: %w", err)
	}
	defer os.RemoveAll(tmp)

	target := kubevirtModule + "@" + KubeVirtVersion
	cmd := exec.Command("go", "mod", "download", "-json", target)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var info struct {
		Path, Version, Dir, Error string
	}
	failed := func(detail string) error {
		msg := fmt.Sprintf("crds: `go mod download -json %s` failed: %v", target, runErr)
		if detail = strings.TrimSpace(detail); detail != "" {
			msg += ": " + detail
		}
		return errors.New(msg)
	}
	if jerr := json.Unmarshal(stdout.Bytes(), &info); jerr != nil {
		if runErr != nil {
			return "", failed(stderr.String() + stdout.String())
		}
		return "", fmt.Errorf("crds: `go mod download -json %s`: parsing output: %w", target, jerr)
	}
	if info.Error != "" {
		return "", fmt.Errorf("crds: `go mod download -json %s` failed: %s", target, info.Error)
	}
	if runErr != nil {
		return "", failed(stderr.String())
	}
	if info.Dir == "" {
		return "", fmt.Errorf("crds: `go mod download -json %s` reported no module directory", target)
	}
	return info.Dir, nil
}

// readSchemaStrings parses validations_generated.go and returns every string
// literal keyed by a string literal (KubeVirt stores them as entries of the
// map CRDsValidation, keyed by the CRD's singular name). String constants and
// variables are collected too, keyed by identifier, to survive a change of
// layout.
func readSchemaStrings(path string) (map[string]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("crds: parsing KubeVirt schema file: %w", err)
	}
	out := map[string]string{}
	var walkErr error
	unquote := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil && walkErr == nil {
			walkErr = fmt.Errorf("crds: %s: unquoting string literal: %w", fset.Position(lit.Pos()), err)
		}
		return s, err == nil
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			if k, ok := unquote(n.Key); ok {
				if v, ok := unquote(n.Value); ok {
					out[k] = v
				}
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) {
					if v, ok := unquote(n.Values[i]); ok {
						out[name.Name] = v
					}
				}
			}
		}
		return true
	})
	if walkErr != nil {
		return nil, walkErr
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("crds: %s: no schema strings found (file layout changed?)", path)
	}
	return out, nil
}

// decodeValidation decodes KubeVirt's "openAPIV3Schema: ..." YAML text.
// Decoding is strict so that an unexpected schema layout is an error rather
// than a silently weaker schema.
func decodeValidation(text string) (*apiextensionsv1.CustomResourceValidation, error) {
	v := &apiextensionsv1.CustomResourceValidation{}
	if err := yaml.UnmarshalStrict([]byte(text), v); err != nil {
		return nil, err
	}
	s := v.OpenAPIV3Schema
	if s == nil {
		return nil, errors.New("no openAPIV3Schema")
	}
	for _, p := range []string{"spec", "status"} {
		prop, ok := s.Properties[p]
		if !ok {
			if p == "spec" {
				return nil, errors.New("schema has no spec property")
			}
			continue
		}
		if prop.XPreserveUnknownFields != nil && *prop.XPreserveUnknownFields {
			return nil, fmt.Errorf("schema of %s has x-kubernetes-preserve-unknown-fields: true; refusing a non-structural %s", p, p)
		}
	}
	return v, nil
}

func newCRD(d crdDef, v *apiextensionsv1.CustomResourceValidation) *apiextensionsv1.CustomResourceDefinition {
	var sub *apiextensionsv1.CustomResourceSubresources
	if d.statusSubresource {
		sub = &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}}
	}
	version := func(name string, storage bool) apiextensionsv1.CustomResourceDefinitionVersion {
		ver := apiextensionsv1.CustomResourceDefinitionVersion{
			Name:                     name,
			Served:                   true,
			Storage:                  storage,
			Schema:                   v.DeepCopy(),
			Subresources:             sub.DeepCopy(),
			AdditionalPrinterColumns: append([]apiextensionsv1.CustomResourceColumnDefinition(nil), d.columns...),
		}
		if name == "v1alpha3" {
			// Same as kubevirt.io/api/core/v1.ApiSupportedVersions.
			msg := "kubevirt.io/v1alpha3 is now deprecated and will be removed in a future release."
			ver.Deprecated = true
			ver.DeprecationWarning = &msg
		}
		return ver
	}
	return &apiextensionsv1.CustomResourceDefinition{
		TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   d.plural + "." + group,
			Labels: map[string]string{"kubevirt.io": ""},
			Annotations: map[string]string{
				"linkstate-webhook/schema-source": kubevirtModule + "@" + KubeVirtVersion + "/" + validationsFile,
			},
		},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Plural:     d.plural,
				Singular:   d.singular,
				Kind:       d.kind,
				ListKind:   d.kind + "List",
				ShortNames: append([]string(nil), d.shortNames...),
				Categories: []string{"all"},
			},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{
				version("v1", true),
				version("v1alpha3", false),
			},
		},
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
