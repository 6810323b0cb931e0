package audit

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func parse(t *testing.T, args ...string) (*Flags, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &Flags{}
	f.Bind(fs)
	return f, fs.Parse(args)
}

func TestFlagsDefaults(t *testing.T) {
	f, err := parse(t, "--audit")
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Config("linkstate-webhook-system")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Enabled: true,
		Scan:    Options{Interval: time.Hour, Workers: 2},
		Election: Election{Namespace: "linkstate-webhook-system", Name: "linkstate-webhook-audit",
			LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second},
		QPS: 50,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	f, _ = parse(t, "--audit", "--leader-election-namespace=elsewhere")
	if got, _ := f.Config("linkstate-webhook-system"); got.Election.Namespace != "elsewhere" {
		t.Errorf("lease namespace %q", got.Election.Namespace)
	}
}

func TestFlagsErrors(t *testing.T) {
	for args, want := range map[string]string{
		"--audit":                                    "needs a namespace for its Lease",
		"--audit --audit-interval=10ms":              "--audit-interval must be at least 1s",
		"--audit --audit-workers=0":                  "--audit-workers must be at least 1",
		"--audit --audit-qps=0":                      "--audit-qps must be positive",
		"--audit --leader-election-id=":              "--leader-election-id must not be empty",
		"--audit --leader-election-retry-period=20s": "lease-duration > --leader-election-renew-deadline",
	} {
		f, err := parse(t, strings.Fields(args)...)
		if err != nil {
			t.Fatal(err)
		}
		namespace := "ns"
		if args == "--audit" {
			namespace = ""
		}
		if _, err := f.Config(namespace); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error containing %q", args, err, want)
		}
	}
	// Without --audit nothing else is checked: the audit does not run.
	f, _ := parse(t, "--audit-workers=0")
	if _, err := f.Config(""); err != nil {
		t.Errorf("audit off: %v", err)
	}
}
