package audit

import (
	"fmt"
	"os"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	v1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientfeatures "k8s.io/client-go/features"
)

// Scheme knows the kinds the scanner reads: KubeVirt's.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := v1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("registering KubeVirt's types: %w", err)
	}
	return s, nil
}

// CacheOptions are the scanner's informer settings: VMs and VMIs stripped as they arrive
// (StripVM, StripVMI), handed out without copies (the scanner never changes them), and
// no periodic resync of the informers (the scanner rescans on its own schedule).
func CacheOptions(scheme *runtime.Scheme) cache.Options {
	return cache.Options{
		Scheme: scheme,
		ByObject: map[client.Object]cache.ByObject{
			&v1.VirtualMachine{}:         {Transform: StripVM},
			&v1.VirtualMachineInstance{}: {Transform: StripVMI},
		},
		DefaultUnsafeDisableDeepCopy: ptr.To(true),
	}
}

// NewCache is the cache factory the scanner uses in a cluster: a fresh cache per term as
// leader, so a replica that does not scan holds no VM at all.
func NewCache(cfg *rest.Config) func() (cache.Cache, error) {
	return func() (cache.Cache, error) {
		scheme, err := Scheme()
		if err != nil {
			return nil, err
		}
		return cache.New(cfg, CacheOptions(scheme))
	}
}

var streamingOnce sync.Once

// StreamingLists turns on client-go's streaming lists (WatchListClient) for this process,
// unless KUBE_FEATURE_WatchListClient says otherwise. An informer's first list then
// arrives object by object, each transformed as it comes, instead of as one list of every
// full object held at once: with 100,000 VMs that list alone would be gigabytes. API
// servers without streaming lists (before 1.32, or with the WatchList gate off) answer
// with an error and client-go falls back to paged lists.
//
// Call it before any client is built: client-go reads its feature gates once.
func StreamingLists() {
	streamingOnce.Do(func() {
		if _, set := os.LookupEnv("KUBE_FEATURE_" + string(clientfeatures.WatchListClient)); set {
			return
		}
		clientfeatures.ReplaceFeatureGates(streaming{clientfeatures.FeatureGates()})
	})
}

type streaming struct{ clientfeatures.Gates }

func (g streaming) Enabled(f clientfeatures.Feature) bool {
	return f == clientfeatures.WatchListClient || g.Gates.Enabled(f)
}
