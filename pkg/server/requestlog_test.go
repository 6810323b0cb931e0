package server

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// recordingSink writes down what reaches it: each line with the names, values and call
// depth of the sink that logged it.
type recordingSink struct {
	lines  *[]string
	names  string
	values []any
	depth  int
}

func (s *recordingSink) Init(logr.RuntimeInfo)  {}
func (s *recordingSink) Enabled(level int) bool { return level < 2 }
func (s *recordingSink) Info(level int, msg string, kv ...any) {
	*s.lines = append(*s.lines, fmt.Sprintf("depth=%d name=%s info(%d) %s %v %v", s.depth, s.names, level, msg, s.values, kv))
}
func (s *recordingSink) Error(err error, msg string, kv ...any) {
	*s.lines = append(*s.lines, fmt.Sprintf("depth=%d name=%s error %v %s %v %v", s.depth, s.names, err, msg, s.values, kv))
}
func (s *recordingSink) WithValues(kv ...any) logr.LogSink {
	c := *s
	c.values = append(append([]any(nil), s.values...), kv...)
	return &c
}
func (s *recordingSink) WithName(name string) logr.LogSink {
	c := *s
	c.names += "/" + name
	return &c
}
func (s *recordingSink) WithCallDepth(depth int) logr.LogSink {
	c := *s
	c.depth += depth
	return &c
}

// The lazy request logger logs what admission.DefaultLogConstructor's logger logs, one
// frame deeper (its own Info and Error are between the caller and the sink).
func TestRequestLoggerLogsWhatTheDefaultLogs(t *testing.T) {
	req := &admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "u-1", Namespace: "ns", Name: "vm",
		Resource: metav1.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"},
		UserInfo: authenticationv1.UserInfo{Username: "alice"},
	}}
	use := func(log logr.Logger) {
		log.Info("first", "a", 1)
		log.V(1).Info("verbose")
		log.V(5).Info("not enabled")
		log.WithName("sub").WithValues("b", 2).Error(errors.New("boom"), "second", "c", 3)
		log.WithValues("d", 4).WithCallDepth(2).Info("third")
	}
	var want, got []string
	use(admission.DefaultLogConstructor(logr.New(&recordingSink{lines: &want}).WithName("admission"), req))
	use(requestLogger(logr.New(&recordingSink{lines: &got}).WithName("admission"), req))
	for i := range want {
		want[i] = "depth=" + fmt.Sprint(int(want[i][6]-'0')+1) + want[i][7:]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-default, one frame deeper +lazy):\n%s", diff)
	}
	if len(got) != 4 {
		t.Errorf("logged %d lines, want 4", len(got))
	}
}
