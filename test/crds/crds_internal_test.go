package crds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeModule writes a validations_generated.go with the given body into a
// temporary module directory and returns that directory.
func fakeModule(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, filepath.FromSlash(validationsFile))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const okSchema = "`openAPIV3Schema:\n  properties:\n    spec:\n      properties:\n        x:\n          type: string\n      type: object\n  type: object\n`"

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{
			name: "missing entry",
			body: "package components\nvar CRDsValidation = map[string]string{\n\"virtualmachine\": " + okSchema + ",\n}\n",
			want: `has no schema entry "virtualmachineinstance" (found 1 entries: virtualmachine)`,
		},
		{
			name: "preserve unknown spec",
			body: "package components\nvar CRDsValidation = map[string]string{\n\"virtualmachine\": `openAPIV3Schema:\n  properties:\n    spec:\n      type: object\n      x-kubernetes-preserve-unknown-fields: true\n  type: object\n`,\n}\n",
			want: `decoding schema "virtualmachine"`,
		},
		{
			name: "unknown schema key",
			body: "package components\nvar CRDsValidation = map[string]string{\n\"virtualmachine\": `openAPIV3Schema:\n  type: object\n  bogus: 1\n`,\n}\n",
			want: `unknown field "bogus"`,
		},
		{
			name: "not Go",
			body: "this is not go",
			want: "parsing KubeVirt schema file: ",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildFrom(fakeModule(t, tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			t.Log(err)
		})
	}
	if _, err := buildFrom(t.TempDir()); err == nil || !strings.Contains(err.Error(), validationsFile) {
		t.Fatalf("missing file: error = %v, want it to name %s", err, validationsFile)
	}
}
