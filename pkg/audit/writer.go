package audit

import (
	"context"
	"errors"
	"fmt"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Writer stores Reports. APIWriter is the one that runs; the measurements of
// docs/audit.md also use it against a real API server.
type Writer interface {
	// Available fails, saying what to do, while the API server does not serve Reports
	// (no OpenReports CRD installed).
	Available(ctx context.Context) error
	// Apply creates or replaces a Report.
	Apply(ctx context.Context, r *reportsv1alpha1.Report) error
	// Delete removes a Report; one already gone is no error.
	Delete(ctx context.Context, key types.NamespacedName) error
	// Stored lists the Reports this service wrote, with their HashAnnotation.
	Stored(ctx context.Context) (map[types.NamespacedName]string, error)
}

// ReportGVK is the kind of the Reports written.
var ReportGVK = reportsv1alpha1.SchemeGroupVersion.WithKind("Report")

// ErrNoReportsAPI says the cluster does not serve openreports.io/v1alpha1 Reports.
var ErrNoReportsAPI = errors.New("the API server does not serve openreports.io/v1alpha1 Reports: " +
	"install their CRDs (the chart does with reports.installCRDs=true; Kyverno and the OpenReports chart do too); " +
	"until then the scan keeps its metrics but writes no Report")

// APIWriter writes Reports with server-side apply, as field manager Source.
type APIWriter struct {
	Client client.Client
	// PageSize bounds each page of Stored's list (0: 500).
	PageSize int64
}

var _ Writer = APIWriter{}

// Available implements Writer.
func (w APIWriter) Available(context.Context) error {
	_, err := w.Client.RESTMapper().RESTMapping(ReportGVK.GroupKind(), ReportGVK.Version)
	if meta.IsNoMatchError(err) {
		return ErrNoReportsAPI
	}
	return err
}

// Apply implements Writer. The whole Report is applied with force: this service owns its
// Reports, and results is an atomic list, so the stored Report is exactly r.
func (w APIWriter) Apply(ctx context.Context, r *reportsv1alpha1.Report) error {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(r)
	if err != nil {
		return fmt.Errorf("encoding Report %s/%s: %w", r.Namespace, r.Name, err)
	}
	obj := &unstructured.Unstructured{Object: u}
	unstructured.RemoveNestedField(obj.Object, "metadata", "creationTimestamp")
	err = w.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(Source), client.ForceOwnership)
	count("apply", err)
	return err
}

// Delete implements Writer.
func (w APIWriter) Delete(ctx context.Context, key types.NamespacedName) error {
	r := &metav1.PartialObjectMetadata{}
	r.SetGroupVersionKind(ReportGVK)
	r.Namespace, r.Name = key.Namespace, key.Name
	err := client.IgnoreNotFound(w.Client.Delete(ctx, r))
	count("delete", err)
	return err
}

// Stored implements Writer, listing metadata only, a page at a time.
func (w APIWriter) Stored(ctx context.Context) (map[types.NamespacedName]string, error) {
	page := w.PageSize
	if page == 0 {
		page = 500
	}
	out := map[types.NamespacedName]string{}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(reportsv1alpha1.SchemeGroupVersion.WithKind("ReportList"))
	opts := []client.ListOption{client.MatchingLabels{ManagedByLabel: Source}, client.Limit(page)}
	for {
		if err := w.Client.List(ctx, list, opts...); err != nil {
			if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
				return nil, ErrNoReportsAPI
			}
			return nil, fmt.Errorf("listing Reports: %w", err)
		}
		for i := range list.Items {
			m := &list.Items[i]
			out[types.NamespacedName{Namespace: m.Namespace, Name: m.Name}] = m.Annotations[HashAnnotation]
		}
		if list.Continue == "" {
			return out, nil
		}
		opts = []client.ListOption{client.MatchingLabels{ManagedByLabel: Source}, client.Limit(page), client.Continue(list.Continue)}
	}
}

func count(op string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	reportWrites.WithLabelValues(op, result).Inc()
}
