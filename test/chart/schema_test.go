package chart

import (
	"strings"
	"testing"
)

// values.schema.json turns mistakes into an error at `helm install`/`template` time, naming
// the value, instead of a webhook that crash-loops or silently does something else. Each
// case must fail at its own path, so a rejection for another reason does not pass it.
func TestSchemaRejectsBadValues(t *testing.T) {
	cases := map[string]struct {
		values string
		atPath string // where helm's schema error points
	}{
		"negative replicas":                    {"replicas: -1", "/replicas"},
		"zero replicas":                        {"replicas: 0", "/replicas"},
		"replicas as text":                     {"replicas: two", "/replicas"},
		"unknown dialect":                      {"dialect: sideways", "/dialect"},
		"unknown fallback dialect":             {"dialectProbe: {fallback: auto}", "/dialectProbe/fallback"},
		"a probe interval that is no duration": {"dialectProbe: {interval: 10 minutes}", "/dialectProbe/interval"},
		"unknown passtBinding action":          {"passtBinding: allow", "/passtBinding"},
		"unknown unknownPlugins":               {"unknownPlugins: ignore", "/unknownPlugins"},
		"unknown failurePolicy":                {"failurePolicy: Maybe", "/failurePolicy"},
		"timeout zero":                         {"timeoutSeconds: 0", "/timeoutSeconds"},
		"timeout above 30":                     {"timeoutSeconds: 31", "/timeoutSeconds"},
		"fractional timeout":                   {"timeoutSeconds: 2.5", "/timeoutSeconds"},
		"misspelt top-level key":               {"replica: 3", "additional properties 'replica' not allowed"},
		"unknown image key":                    {"image: {tags: v1}", "/image"},
		"image digest not a digest":            {"image: {digest: latest}", "/image/digest"},
		"unknown pull policy":                  {"image: {pullPolicy: Sometimes}", "/image/pullPolicy"},
		"unknown TLS mode":                     {"tls: {mode: selfSigned}", "/tls/mode"},
		"secret mode without a secret":         {"tls: {mode: secret}", "/tls/secret/name"},
		"secret mode without a CA":             {"tls: {mode: secret, secret: {name: corp-tls}}", "/tls/secret/caBundle"},
		"caBundle not base64":                  {"tls: {mode: secret, secret: {name: corp-tls, caBundle: '-----BEGIN CERTIFICATE-----'}}", "/tls/secret/caBundle"},
		"unknown helm TLS key":                 {"tls: {helm: {validity: 10}}", "/tls/helm"},
		"validity zero days":                   {"tls: {helm: {validityDays: 0}}", "/tls/helm/validityDays"},
		"duration in days":                     {"tls: {certManager: {duration: 90d}}", "/tls/certManager/duration"},
		"unknown log level":                    {"logLevel: loud", "/logLevel"},
		"log level zero":                       {"logLevel: 0", "/logLevel"},
		"comma in a plugin name":               {"supportedPlugins: ['a,b']", "/supportedPlugins/0"},
		"plugin listed twice":                  {"unsupportedPlugins: [a, a]", "/unsupportedPlugins"},
		"extra arg not a flag":                 {"extraArgs: [zap-devel]", "/extraArgs/0"},
		"port out of range":                    {"ports: {webhook: 70000}", "/ports/webhook"},
		"maxUnavailable as a word":             {"podDisruptionBudget: {maxUnavailable: one}", "/podDisruptionBudget/maxUnavailable"},
		"unknown spread policy":                {"topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: Maybe}]", "/topologySpreadConstraints/0/whenUnsatisfiable"},
		"scrape interval not a duration":       {"metrics: {serviceMonitor: {interval: often}}", "/metrics/serviceMonitor/interval"},
		"lookup failure action":                {"migrations: {lookupFailure: ignore}", "/migrations/lookupFailure"},
		"lookup timeout in words":              {"migrations: {vmiLookupTimeout: 2 seconds}", "/migrations/vmiLookupTimeout"},
		"exempt as one string":                 {"migrations: {exempt: kubevirt-handler}", "/migrations/exempt"},
		"negative preStop sleep":               {"preStopSleepSeconds: -1", "/preStopSleepSeconds"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := template(t, "lw", "vm-admission", tc.values)
			if err == nil {
				t.Fatalf("helm template accepted %q", tc.values)
			}
			if !strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
				t.Fatalf("%q was rejected, but not by the schema: %v", tc.values, err)
			}
			want := tc.atPath
			if strings.HasPrefix(want, "/") {
				want = "at '" + want
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q: the schema error does not point at %s:\n%v", tc.values, tc.atPath, err)
			}
		})
	}
}
