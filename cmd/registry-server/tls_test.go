package main

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/serverconfig"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/tlstest"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// httpsGet fetches url with a client trusting ca and presenting client
// (when not nil), and returns the status and the server certificate's
// common name.
func httpsGet(url string, ca *tlstest.Cert, client *tlstest.Cert, maxVersion uint16) (int, string, error) {
	cfg := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS10, MaxVersion: maxVersion} //nolint:gosec // G402: the test checks that the server refuses old versions
	if client != nil {
		cfg.Certificates = []tls.Certificate{client.TLS()}
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.TLS.PeerCertificates[0].Subject.CommonName, nil
}

// The binary serves HTTPS with TLS_CERT_FILE and TLS_KEY_FILE, requires
// client certificates of TLS_CLIENT_CA_FILE, refuses TLS 1.1, and takes new
// certificates on SIGHUP (keeping the old ones when the new files are
// broken).
func TestBinaryHTTPS(t *testing.T) {
	bin := teststack.ServerBinary(t)
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "Test CA")
	certFile, keyFile := ca.Issue(t, tlstest.Loopback("first")).WriteFiles(t, dir, "server")
	clientCA := tlstest.NewCA(t, "Client CA")
	clientCAFile, _ := clientCA.WriteFiles(t, dir, "client-ca")
	client := clientCA.Issue(t, tlstest.Options{CommonName: "terraform", Client: true})

	addr := teststack.LoopbackAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ADDR=" + addr,
		"TLS_CERT_FILE=" + certFile, "TLS_KEY_FILE=" + keyFile, "TLS_CLIENT_CA_FILE=" + clientCAFile}
	logs := &teststack.LockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })

	health := "https://" + addr + "/health"
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, cn, err := httpsGet(health, ca, client, tls.VersionTLS13)
		if err == nil {
			if status != http.StatusOK || cn != "first" {
				t.Fatalf("GET /health: %d from %q, want 200 from \"first\"", status, cn)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTPS answer within 20s: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, _, err := httpsGet(health, ca, nil, tls.VersionTLS13); err == nil {
		t.Error("a request without a client certificate was answered")
	}
	if _, _, err := httpsGet(health, ca, client, tls.VersionTLS11); err == nil {
		t.Error("a TLS 1.1 connection was accepted")
	}
	if status, _, err := httpsGet(health, ca, client, tls.VersionTLS12); err != nil || status != http.StatusOK {
		t.Errorf("TLS 1.2: %d, %v", status, err)
	}

	// Broken files: the server keeps its certificate.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, "reloading the TLS certificates failed")
	if _, cn, err := httpsGet(health, ca, client, tls.VersionTLS13); err != nil || cn != "first" {
		t.Errorf("after a failed reload: %q, %v; want the first certificate", cn, err)
	}

	// New files: new connections get the new certificate.
	ca.Issue(t, tlstest.Loopback("second")).WriteFiles(t, dir, "server")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, "TLS certificates reloaded")
	if _, cn, err := httpsGet(health, ca, client, tls.VersionTLS13); err != nil || cn != "second" {
		t.Errorf("after SIGHUP: %q, %v; want the second certificate", cn, err)
	}
}

// waitLog waits up to 10 s for text in the server's log.
func waitLog(t *testing.T, logs *teststack.LockedBuffer, text string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(logs.String(), text) {
			return
		}
	}
	t.Fatalf("the server did not log %q within 10s\n%s", text, logs)
}

func TestTLSFilesFromEnv(t *testing.T) {
	if _, on, err := tlsFilesFrom(serverconfig.Env{}); on || err != nil {
		t.Errorf("no TLS_* variables: on=%v err=%v, want plain HTTP", on, err)
	}
	for _, m := range []serverconfig.Env{
		{TLSCertFile: "c.pem"},
		{TLSKeyFile: "k.pem"},
		{TLSClientCAFile: "ca.pem"},
	} {
		if _, _, err := tlsFilesFrom(m); err == nil || !strings.Contains(err.Error(), "TLS_CERT_FILE and TLS_KEY_FILE") {
			t.Errorf("%v: err %v, want one naming both variables", m, err)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bad, []byte("no pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := tlstest.NewCA(t, "CA")
	c, k := ca.Issue(t, tlstest.Loopback("x")).WriteFiles(t, dir, "s")
	if _, err := (tlsFiles{cert: c, key: k, clientCA: bad}).load(); err == nil || !strings.Contains(err.Error(), "TLS_CLIENT_CA_FILE") {
		t.Errorf("client CA without PEM: %v", err)
	}
	cfg, err := (tlsFiles{cert: c, key: k}).load()
	if err != nil || cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.NoClientCert {
		t.Errorf("load: %+v, %v", cfg, err)
	}
}
