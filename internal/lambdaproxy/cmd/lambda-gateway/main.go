// Command lambda-gateway plays an API Gateway HTTP API (Lambda proxy
// integration, payload 2.0) on loopback in front of a function run by the
// Lambda Runtime Interface Emulator, so that HTTP clients (terraform, the
// tests, curl) reach the function as they would on AWS. scripts/stack.sh
// starts it; it is a test tool, not part of a deployment.
//
//	lambda-gateway -listen 127.0.0.1:9100 \
//	  -invoke http://127.0.0.1:9200/2015-03-31/functions/function/invocations \
//	  -route 'ANY /artifact/byName/{name}'
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/lambdaproxy"
)

type routes []string

func (r *routes) String() string     { return strings.Join(*r, ", ") }
func (r *routes) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	listen := flag.String("listen", "127.0.0.1:9100", "loopback address to listen on")
	invoke := flag.String("invoke", "", "the function's invoke URL (the emulator's /2015-03-31/functions/function/invocations)")
	var rs routes
	flag.Var(&rs, "route", `a route besides $default, such as "ANY /artifact/byName/{name}" (repeatable)`)
	flag.Parse()
	if err := run(*listen, *invoke, rs); err != nil {
		fmt.Fprintln(os.Stderr, "lambda-gateway:", err)
		os.Exit(1)
	}
}

func run(listen, invoke string, rs routes) error {
	if invoke == "" {
		return errors.New("-invoke is required: the emulator's invoke URL")
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("-listen %q: want a loopback address such as 127.0.0.1:9100", listen)
	}
	srv := &http.Server{
		Addr:              listen,
		Handler:           &lambdaproxy.Gateway{InvokeURL: invoke, Routes: rs},
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(os.Stderr, "lambda-gateway: http://%s -> %s\n", listen, invoke)
	return srv.ListenAndServe()
}
