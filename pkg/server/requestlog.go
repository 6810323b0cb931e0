package server

import (
	"sync"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// requestLogger is admission.DefaultLogConstructor made lazy. admission.Webhook gives every
// review a logger naming its object, resource, user and uid, and zap encodes those values
// as soon as they are added (the resource by reflection): about 10 µs and 20 allocations
// per review, for a logger that logs only denials and errors. Here the request is kept, and
// DefaultLogConstructor's values are computed and handed to the logger the first time
// something is logged; what is logged is the same.
func requestLogger(base logr.Logger, req *admission.Request) logr.Logger {
	if req == nil {
		return base
	}
	sink := base.GetSink()
	if sink == nil {
		return base
	}
	// lazyValues.Info and Error are one more frame between the caller and the sink.
	if withDepth, ok := sink.(logr.CallDepthLogSink); ok {
		sink = withDepth.WithCallDepth(1)
	}
	kept := *req
	return base.WithSink(&lazyValues{base: sink, request: &kept, once: &sync.Once{}})
}

// lazyValues adds the request's values (as DefaultLogConstructor names them), then kv, to
// base when it first logs.
type lazyValues struct {
	base    logr.LogSink
	request *admission.Request
	kv      []any
	once    *sync.Once
	with    logr.LogSink // base with the values, once made
}

func (l *lazyValues) sink() logr.LogSink {
	l.once.Do(func() {
		values := admission.DefaultLogConstructor(logr.New(&valueRecorder{}), l.request).GetSink().(*valueRecorder).kv
		l.with = l.base.WithValues(append(values, l.kv...)...)
	})
	return l.with
}

// Init is not passed on: base is the sink of a logger that was initialised already.
func (l *lazyValues) Init(logr.RuntimeInfo) {}

func (l *lazyValues) Enabled(level int) bool { return l.base.Enabled(level) }

func (l *lazyValues) Info(level int, msg string, kv ...any) { l.sink().Info(level, msg, kv...) }

func (l *lazyValues) Error(err error, msg string, kv ...any) { l.sink().Error(err, msg, kv...) }

func (l *lazyValues) WithValues(kv ...any) logr.LogSink {
	return &lazyValues{base: l.base, request: l.request, kv: append(l.kv[:len(l.kv):len(l.kv)], kv...), once: &sync.Once{}}
}

func (l *lazyValues) WithName(name string) logr.LogSink {
	return &lazyValues{base: l.base.WithName(name), request: l.request, kv: l.kv, once: &sync.Once{}}
}

func (l *lazyValues) WithCallDepth(depth int) logr.LogSink {
	withDepth, ok := l.base.(logr.CallDepthLogSink)
	if !ok {
		return l
	}
	return &lazyValues{base: withDepth.WithCallDepth(depth), request: l.request, kv: l.kv, once: &sync.Once{}}
}

// valueRecorder is a sink that only remembers the values it is given.
type valueRecorder struct {
	logr.LogSink // nil: only WithValues is ever called
	kv           []any
}

func (r *valueRecorder) Init(logr.RuntimeInfo) {}

func (r *valueRecorder) WithValues(kv ...any) logr.LogSink {
	return &valueRecorder{kv: append(r.kv[:len(r.kv):len(r.kv)], kv...)}
}
