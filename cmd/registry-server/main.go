// Command registry-server runs the Trustworthy Model Registry API (OpenAPI
// 3.4.7) on loopback, on S3, SQLite or memory storage as the operations
// guide's environment variables choose. See README.md beside this file.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "registry-server:", err)
		os.Exit(1)
	}
}

func run() error {
	env := os.Getenv("ENVIRONMENT")
	if env == "" {
		env = "development"
	}
	level, err := parseLevel(os.Getenv("LOG_LEVEL"))
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("environment", env)

	if lambdaMode() {
		return runLambda(log, env)
	}
	cfg, addr, err := configFromEnv(log, env)
	if err != nil {
		return err
	}

	startCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	opened, err := store.Open(startCtx, store.OptionsFromEnv(os.Getenv), log)
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
	grace, err := idleGraceFromEnv()
	if err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	if ln, err = serveTLSIfConfigured(ln, log, os.Getenv); err != nil {
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
	if err := dr.stop(shutCtx, httpSrv, grace); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func parseLevel(v string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "", "INFO":
		return slog.LevelInfo, nil
	case "DEBUG":
		return slog.LevelDebug, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "ERROR", "CRITICAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("LOG_LEVEL %q: want DEBUG, INFO, WARNING or ERROR", v)
}

func configFromEnv(log *slog.Logger, env string) (server.Config, string, error) {
	cfg := server.Config{Environment: env, Logger: log, Version: version()}

	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8000"
		if p := os.Getenv("PORT"); p != "" {
			addr = net.JoinHostPort("127.0.0.1", p)
		}
	}

	users, err := server.LoadUsers(os.Getenv("REGISTRY_ADMIN_PASSWORD"), os.Getenv("REGISTRY_USERS_FILE"))
	if err != nil {
		return cfg, "", err
	}
	cfg.Users = users

	if s := os.Getenv("TOKEN_SECRET"); s != "" {
		cfg.TokenSecret = []byte(s)
	} else {
		log.Warn("TOKEN_SECRET is not set: tokens are signed with a random secret and stop working when the server restarts")
	}
	if v := os.Getenv("TOKEN_TTL"); v != "" {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return cfg, "", fmt.Errorf("TOKEN_TTL %q: want a positive duration such as 10h or a number of seconds", v)
		}
		cfg.TokenTTL = d
	}
	if cfg.PageSize, err = intEnv("PAGE_SIZE", 100, 1); err != nil {
		return cfg, "", err
	}
	if cfg.MaxResults, err = intEnv("MAX_QUERY_RESULTS", 10000, 0); err != nil {
		return cfg, "", err
	}
	if err := hardeningFromEnv(&cfg); err != nil {
		return cfg, "", err
	}
	if err := trustFromEnv(&cfg.TrustConfig); err != nil {
		return cfg, "", err
	}
	return cfg, addr, nil
}

func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

func intEnv(name string, def, lowest int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lowest {
		return 0, fmt.Errorf("%s %q: want an integer of at least %d", name, v, lowest)
	}
	return n, nil
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
