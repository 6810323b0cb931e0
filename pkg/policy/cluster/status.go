package cluster

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/policy"
)

// addStatusController starts the controller that keeps each policy's status.observedGeneration
// and Ready condition current. It runs on every replica: the status is a function of the
// spec alone (policy.ReadyCondition), so replicas agree, each writes only when the stored
// status differs, and a write that loses to another replica's (a conflict) is dropped:
// the other write's watch event brings the policy back, by when its status matches. No
// leader is needed for that.
func addStatusController(mgr manager.Manager) error {
	c := mgr.GetClient()
	return ctrl.NewControllerManagedBy(mgr).
		Named("linkstatepolicy-status").
		For(&v1alpha1.LinkStatePolicy{}).
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false), SkipNameValidation: ptr.To(true)}).
		Complete(reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			return reconcileStatus(ctx, c, req)
		}))
}

func reconcileStatus(ctx context.Context, c client.Client, req reconcile.Request) (reconcile.Result, error) {
	p := &v1alpha1.LinkStatePolicy{}
	if err := c.Get(ctx, req.NamespacedName, p); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	want := policy.ReadyCondition(p)
	if policy.StatusCurrent(p, want) {
		return reconcile.Result{}, nil
	}
	err := c.Status().Update(ctx, policy.WithStatus(p, want))
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		// Another replica or the owner wrote first, or the policy is gone: the watch event
		// of that write reconciles it again.
		return reconcile.Result{}, nil
	}
	return reconcile.Result{}, err
}
