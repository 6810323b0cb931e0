// Command floorwebhook serves the floor webhook (test/load/floor: decode the
// AdmissionReview with encoding/json, answer allowed) over TLS on every path, with the
// serving certificate and TLS settings of the real webhook, so that loadgen can measure
// both on the same reviews, clients and certificate in one run.
//
//	floorwebhook --cert-dir DIR --port 9443
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/server"
	"github.com/linkstate-webhook/linkstate-webhook/test/load/floor"
)

func main() {
	certDir := flag.String("cert-dir", "", "directory holding tls.crt and tls.key")
	port := flag.Int("port", 9443, "port to serve on (TLS)")
	flag.Parse()
	if err := serve(*certDir, *port); err != nil {
		fmt.Fprintln(os.Stderr, "floorwebhook:", err)
		os.Exit(1)
	}
}

func serve(certDir string, port int) error {
	cert, err := tls.LoadX509KeyPair(filepath.Join(certDir, server.CertName), filepath.Join(certDir, server.KeyName))
	if err != nil {
		return err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, opt := range server.TLSOptions(false) {
		opt(cfg)
	}
	l, err := tls.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cfg)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: floor.Handler, ReadHeaderTimeout: 10 * time.Second}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() { <-stop; _ = srv.Close() }()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
