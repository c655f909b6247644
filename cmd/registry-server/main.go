// Command registry-server runs the Trustworthy Model Registry API (OpenAPI
// 3.4.7) on loopback, on S3, SQLite or memory storage as the operations
// guide's environment variables choose (registry-server -help lists them
// all). See README.md beside this file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/serverconfig"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "registry-server:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("registry-server", flag.ContinueOnError)
	help := flags.Bool("help", false, "list the environment variables (every setting is one) and exit")
	markdown := flags.Bool("help-markdown", false, "print the README's table of the environment variables and exit")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			serverconfig.Help(stdout)
			return nil
		}
		return err
	}
	switch {
	case *help:
		serverconfig.Help(stdout)
		return nil
	case *markdown:
		_, err := io.WriteString(stdout, serverconfig.Markdown())
		return err
	case flags.NArg() > 0:
		return fmt.Errorf("unexpected argument %q: registry-server takes its settings from environment variables (see registry-server -help)", flags.Arg(0))
	}
	e, err := serverconfig.Parse(os.Environ())
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.Level(e.LogLevel)})).With("environment", e.Environment)

	if e.Lambda() {
		return runLambda(log, e)
	}
	cfg, err := serverConfig(log, e)
	if err != nil {
		return err
	}

	startCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	opened, err := store.Open(startCtx, e.Storage(), log)
	cancel()
	if err != nil {
		return err
	}
	defer opened.Store.Close()
	if opened.Store.Backend() == "memory" && len(opened.Failures) == 0 {
		log.Warn("neither USE_S3 nor USE_SQLITE is set: artifacts live in memory and are lost on exit")
	}
	cfg.Storage = opened

	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", e.ListenAddr())
	if err != nil {
		return err
	}
	if ln, err = serveTLSIfConfigured(ln, log, e); err != nil {
		return err
	}
	dr := newDrain(ln)
	httpSrv := &http.Server{
		Handler:           dr.handler(srv.Handler()),
		ConnState:         dr.connState,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(dr.ln) }()
	log.Info("registry server listening", "addr", ln.Addr().String(), "backend", opened.Store.Backend(), "version", cfg.Version)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let in-flight requests finish, then exit 0 (see drain).
	log.Info("shutting down: draining in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dr.stop(shutCtx, httpSrv, time.Duration(e.ShutdownIdleGrace)); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// serverConfig is the server's configuration from e, with the users (their
// file is read here) and the logger.
func serverConfig(log *slog.Logger, e serverconfig.Env) (server.Config, error) {
	cfg := e.Server()
	cfg.Logger, cfg.Version = log, version()
	users, err := server.LoadUsers(e.AdminPassword, e.UsersFile)
	if err != nil {
		return cfg, err
	}
	cfg.Users = users
	if e.TokenSecret == "" {
		log.Warn("TOKEN_SECRET is not set: tokens are signed with a random secret and stop working when the server restarts")
	}
	return cfg, nil
}

// version is the VCS revision the binary was built from, when known.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
		return bi.Main.Version
	}
	return ""
}
