// Command upstream-replay serves the recorded Hugging Face and GitHub
// answers of internal/replay on loopback, for a registry server run by hand
// when huggingface.co and api.github.com cannot be reached (the test stack
// and the quickstart serve them in-process, internal/teststack). Point both
// HF_ENDPOINT and GITHUB_API_URL of the registry server at the URL it
// prints. The recordings were written to the documented shapes, not
// fetched; the files and archives it serves for the registry's ingest are
// synthetic (see internal/replay/testdata/README.md).
//
//	upstream-replay [-addr 127.0.0.1:0] [-url-file path]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/replay"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "upstream-replay:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback)")
	urlFile := flag.String("url-file", "", "write the base URL to this file once listening")
	flag.Parse()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(base+"\n"), 0o600); err != nil {
			return err
		}
	}
	fmt.Println(base)
	srv := &http.Server{Handler: replay.Handler(), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
