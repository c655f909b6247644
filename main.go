package main

import (
	"context"
	"flag"
	"log"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/provider"
)

// version is set at build time by goreleaser (-X main.version=...).
var version = "dev"

func main() {
	var debug bool

	flag.BoolVar(&debug, "debug", false, "set to true to run the provider with support for debuggers like delve")
	flag.Parse()

	if !debug && !terraformShowsProviderLogs(os.Getenv) {
		for _, name := range discardedLogEnv {
			if err := os.Setenv(name, "off"); err != nil {
				log.Fatal(err.Error())
			}
		}
	}

	if !debug {
		terraform := os.Getppid()
		go exitWhenParentGone(terraform, os.Getppid, time.Second, func() {
			log.Printf("Terraform (process %d), which started this provider, is gone; exiting", terraform)
			os.Exit(1)
		})
	}

	opts := providerserver.ServeOpts{
		Address: "registry.terraform.io/trustworthy-registry/registry",
		Debug:   debug,
	}

	if err := providerserver.Serve(context.Background(), provider.New(version), opts); err != nil {
		log.Fatal(err.Error())
	}
}

// discardedLogEnv are the levels of this process's loggers: the SDK's, the
// protocol's, the framework's and the provider's own (TF_LOG_PROVIDER_ and
// the provider's type).
var discardedLogEnv = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_REGISTRY"}

// terraformShowsProviderLogs reports whether Terraform (or OpenTofu) will
// show what this provider logs: only when TF_LOG_PROVIDER, or else TF_LOG,
// sets a level. Otherwise it reads every line the provider writes and drops
// it, and the framework, left alone, logs at trace level: about 14 JSON
// lines (8 KB) per resource in a plan, parsed for nothing on both sides. A
// crash is not a log line and reaches Terraform either way.
func terraformShowsProviderLogs(getenv func(string) string) bool {
	level := getenv("TF_LOG_PROVIDER")
	if level == "" {
		level = getenv("TF_LOG")
	}
	return level != "" && !strings.EqualFold(level, "off")
}

// exitWhenParentGone calls exit once the process's parent is no longer
// parent, checking every interval. Terraform killed with SIGKILL cannot
// stop its providers, and nothing else would end this one: it would serve a
// socket nobody connects to. On Unix the orphan is adopted (by init or a
// subreaper), which changes its parent process id. (On Windows the id
// never changes, and this never fires.)
func exitWhenParentGone(parent int, getppid func() int, interval time.Duration, exit func()) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for range ticker.C {
		if getppid() != parent {
			exit()
			return
		}
	}
}
