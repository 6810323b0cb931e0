// Package load drives the webhook binary the way an API server does — AdmissionReviews
// posted over TLS by many clients at once — and records what every request saw. The load
// generator (cmd/loadgen) reports throughput and latency from it; the reliability tests
// (test/reliability) check that certificate rotation and shutdown break no request.
package load

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// Request is one AdmissionReview to post.
type Request struct {
	Path string
	Body []byte
	// UID is the review's request.uid: the answer must carry it back.
	UID string
}

// Config describes a run.
type Config struct {
	// Addr is the webhook's TLS address (host:port); RootCAs the CAs to trust for it.
	Addr    string
	RootCAs *x509.CertPool
	// Requests are posted in turn, each worker starting at a different one.
	Requests []Request
	// Concurrency is the number of workers, each with one request in flight at a time.
	Concurrency int
	// FreshConnections of the workers open a new TLS connection for every request (and
	// so a handshake); the others keep theirs alive, as an API server does.
	FreshConnections int
	// Duration ends the run; zero runs until Stop or the context ends. Requests that end
	// within Warmup of the start count in Outcomes but not in the measured window.
	Duration, Warmup time.Duration
	// Strict decodes every answer as an AdmissionReview; otherwise a cheap byte check
	// (status 200, uid echoed, no 5xx code) leaves more CPU to the server.
	Strict bool
	// OnHandshake, if set, is called with the serial number of the certificate every new
	// connection is served.
	OnHandshake func(serial string)
}

// Outcome is what one request saw.
type Outcome struct {
	Start, End time.Time
	// GotConn is when the client had a connection (for a new one, after the TLS
	// handshake): from then on the server has accepted it. Zero if it never did.
	GotConn time.Time
	// Wrote is when the whole request had been written (zero if it never was).
	Wrote time.Time
	// Reused says the connection had served an earlier request; FirstByte that some of
	// the answer arrived.
	Reused, FirstByte bool
	// Fresh says the request came from a worker that opens a connection per request.
	Fresh bool
	// Err is nil for a good answer.
	Err error
}

// Result is everything a run saw.
type Result struct {
	Outcomes []Outcome
	// From and To bound the measured window (after the warm-up).
	From, To time.Time
}

// Runner is a run in progress.
type Runner struct {
	cfg     Config
	stop    chan struct{}
	stopped sync.Once
	done    chan struct{}
	result  *Result
	// noDial is set once the server is taken out of rotation (StopDialing).
	noDial sync.Once
	gone   chan struct{}
	// completed counts finished requests, for callers that wait for progress.
	mu        sync.Mutex
	completed int
	failed    int
}

// Start begins a run in the background.
func Start(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.Concurrency < 1 || len(cfg.Requests) == 0 || cfg.Addr == "" {
		return nil, errors.New("load: need an address, requests and a concurrency of at least 1")
	}
	r := &Runner{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{}), gone: make(chan struct{})}
	go r.run(ctx)
	return r, nil
}

// Run is Start, then Wait.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	r, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return r.Wait(), nil
}

// Stop asks every worker to finish its current request and quit.
func (r *Runner) Stop() { r.stopped.Do(func() { close(r.stop) }) }

// ErrNotInRotation is the outcome of a request that would have needed a new connection
// after StopDialing: in a cluster it would have gone to another replica.
var ErrNotInRotation = errors.New("the server is out of rotation: no new connection")

// StopDialing takes the server out of rotation, as a Service does with a terminating pod:
// kept-alive connections go on carrying reviews until the server closes them, but no new
// connection is opened; a worker that would need one stops.
func (r *Runner) StopDialing() { r.noDial.Do(func() { close(r.gone) }) }

// Wait returns the result once every worker has quit.
func (r *Runner) Wait() *Result {
	<-r.done
	return r.result
}

// Progress is how many requests have finished, and how many of them failed.
func (r *Runner) Progress() (completed, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.completed, r.failed
}

func (r *Runner) run(ctx context.Context) {
	defer close(r.done)
	tlsCfg := &tls.Config{RootCAs: r.cfg.RootCAs, NextProtos: []string{"http/1.1"}}
	if r.cfg.OnHandshake != nil {
		tlsCfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) > 0 {
				r.cfg.OnHandshake(cs.PeerCertificates[0].SerialNumber.String())
			}
			return nil
		}
	}
	dialer := &net.Dialer{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		select {
		case <-r.gone:
			return nil, ErrNotInRotation
		default:
		}
		return dialer.DialContext(ctx, network, addr)
	}
	keepAlive := &http.Transport{TLSClientConfig: tlsCfg, MaxIdleConnsPerHost: r.cfg.Concurrency, DialContext: dial}
	fresh := &http.Transport{TLSClientConfig: tlsCfg, DisableKeepAlives: true, DialContext: dial}
	defer keepAlive.CloseIdleConnections()

	start := time.Now()
	r.result = &Result{From: start.Add(r.cfg.Warmup)}
	var end <-chan time.Time
	if r.cfg.Duration > 0 {
		timer := time.NewTimer(r.cfg.Duration)
		defer timer.Stop()
		end = timer.C
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-end:
		case <-r.done:
			return
		}
		r.Stop()
	}()

	outcomes := make([][]Outcome, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for w := range r.cfg.Concurrency {
		isFresh := w < r.cfg.FreshConnections
		client := &http.Client{Transport: keepAlive, Timeout: 30 * time.Second}
		if isFresh {
			client.Transport = fresh
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[w] = make([]Outcome, 0, 4096)
			for i := w; ; i++ {
				select {
				case <-r.stop:
					return
				default:
				}
				o := r.do(client, r.cfg.Requests[i%len(r.cfg.Requests)])
				o.Fresh = isFresh
				if errors.Is(o.Err, ErrNotInRotation) {
					return // never sent: not an outcome
				}
				outcomes[w] = append(outcomes[w], o)
				r.mu.Lock()
				r.completed++
				if o.Err != nil {
					r.failed++
				}
				r.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.result.To = time.Now()
	for _, o := range outcomes {
		r.result.Outcomes = append(r.result.Outcomes, o...)
	}
}

// do posts one review and judges the answer.
func (r *Runner) do(client *http.Client, req Request) Outcome {
	var o Outcome
	trace := &httptrace.ClientTrace{
		GotConn:              func(info httptrace.GotConnInfo) { o.GotConn, o.Reused = time.Now(), info.Reused },
		GotFirstResponseByte: func() { o.FirstByte = true },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				o.Wrote = time.Now()
			}
		},
	}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
		http.MethodPost, "https://"+r.cfg.Addr+req.Path+"?timeout=10s", bytes.NewReader(req.Body))
	if err != nil {
		o.Err = err
		return o
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json, */*")
	o.Start = time.Now()
	resp, err := client.Do(hreq)
	if err != nil {
		o.End, o.Err = time.Now(), err
		return o
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	o.End = time.Now()
	switch {
	case err != nil:
		o.Err = fmt.Errorf("reading the answer: %w", err)
	case resp.StatusCode != http.StatusOK:
		o.Err = fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	default:
		o.Err = r.check(req, body)
	}
	return o
}

var serverError = []byte(`"code":5`)

// check accepts an answer that is an AdmissionReview response to req.
func (r *Runner) check(req Request, body []byte) error {
	if !r.cfg.Strict {
		if !bytes.Contains(body, []byte(`"uid":"`+req.UID+`"`)) || bytes.Contains(body, serverError) {
			return fmt.Errorf("not the answer to %s: %.200s", req.UID, body)
		}
		return nil
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return fmt.Errorf("not an AdmissionReview: %w: %.200s", err, body)
	}
	switch resp := review.Response; {
	case resp == nil:
		return fmt.Errorf("AdmissionReview without a response: %.200s", body)
	case string(resp.UID) != req.UID:
		return fmt.Errorf("answer for uid %q, want %q", resp.UID, req.UID)
	case resp.Result != nil && resp.Result.Code >= 500:
		return fmt.Errorf("server error in the review: %d %s", resp.Result.Code, resp.Result.Message)
	}
	return nil
}

// Failures are the outcomes with an error.
func (res *Result) Failures() []Outcome {
	var out []Outcome
	for _, o := range res.Outcomes {
		if o.Err != nil {
			out = append(out, o)
		}
	}
	return out
}

// Window holds the latencies, sorted, of the good answers that ended in the measured
// window, and the window's length.
func (res *Result) Window() (latencies []time.Duration, length time.Duration) {
	for _, o := range res.Outcomes {
		if o.Err == nil && !o.End.Before(res.From) && !o.End.After(res.To) {
			latencies = append(latencies, o.End.Sub(o.Start))
		}
	}
	slices.Sort(latencies)
	return latencies, res.To.Sub(res.From)
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted latencies.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
