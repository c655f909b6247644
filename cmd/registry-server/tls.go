package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/serverconfig"
)

// tlsFiles are the TLS_* environment variables: the server certificate
// (with its chain) and key, and optionally the CA whose client certificates
// are required.
type tlsFiles struct {
	cert, key, clientCA string
}

func tlsFilesFrom(e serverconfig.Env) (tlsFiles, bool, error) {
	f := tlsFiles{cert: e.TLSCertFile, key: e.TLSKeyFile, clientCA: e.TLSClientCAFile}
	switch {
	case f.cert == "" && f.key == "" && f.clientCA == "":
		return f, false, nil
	case f.cert == "" || f.key == "":
		return f, false, errors.New("TLS_CERT_FILE and TLS_KEY_FILE must be set together (TLS_CLIENT_CA_FILE needs both)")
	}
	return f, true, nil
}

// load reads the files into a server TLS configuration: TLS 1.2 or newer,
// and client certificates of the CA required when one is set.
func (f tlsFiles) load() (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(f.cert, f.key)
	if err != nil {
		return nil, fmt.Errorf("TLS_CERT_FILE %q / TLS_KEY_FILE %q: %w", f.cert, f.key, err)
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
	}
	if f.clientCA != "" {
		pem, err := os.ReadFile(f.clientCA)
		if err != nil {
			return nil, fmt.Errorf("TLS_CLIENT_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS_CLIENT_CA_FILE %q: no PEM certificate in it", f.clientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// reloadingTLS serves the configuration loaded last; reload replaces it
// for new connections and keeps the old one when the files are broken.
type reloadingTLS struct {
	files   tlsFiles
	current atomic.Pointer[tls.Config]
	log     *slog.Logger
}

func (r *reloadingTLS) reload() error {
	cfg, err := r.files.load()
	if err != nil {
		return err
	}
	r.current.Store(cfg)
	return nil
}

// listenerConfig is the configuration handed to tls.NewListener: each
// handshake takes the configuration loaded last.
func (r *reloadingTLS) listenerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return r.current.Load(), nil },
	}
}

// watchSIGHUP reloads the certificates on each SIGHUP until the process
// ends.
func (r *reloadingTLS) watchSIGHUP() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			if err := r.reload(); err != nil {
				r.log.Error("SIGHUP: reloading the TLS certificates failed; still serving the previous ones", "error", err.Error())
				continue
			}
			r.log.Info("SIGHUP: TLS certificates reloaded", "cert_file", r.files.cert, "client_ca_file", r.files.clientCA)
		}
	}()
}

// serveTLSIfConfigured wraps ln in TLS when TLS_CERT_FILE and TLS_KEY_FILE
// are set, and reloads the certificates on SIGHUP; otherwise ln is returned
// as it is (plain HTTP).
func serveTLSIfConfigured(ln net.Listener, log *slog.Logger, e serverconfig.Env) (net.Listener, error) {
	files, on, err := tlsFilesFrom(e)
	if err != nil || !on {
		return ln, err
	}
	r := &reloadingTLS{files: files, log: log}
	if err := r.reload(); err != nil {
		return nil, err
	}
	r.watchSIGHUP()
	log.Info("serving HTTPS", "cert_file", files.cert, "client_certificates_required", files.clientCA != "")
	return tls.NewListener(ln, r.listenerConfig()), nil
}
