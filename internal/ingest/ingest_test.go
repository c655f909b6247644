package ingest

import (
	"net/netip"
	"testing"
)

// Every address that is not public is named, and public ones pass.
func TestNonPublic(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "::1": "loopback", "10.1.2.3": "private", "172.16.0.1": "private",
		"192.168.1.1": "private", "fd00::1": "private", "100.64.0.1": "private", "169.254.169.254": "link-local",
		"fe80::1": "link-local", "0.0.0.0": "non-unicast", "::": "non-unicast", "224.0.0.1": "link-local", "239.1.2.3": "non-unicast",
		"8.8.8.8": "", "2606:4700::1111": "", "100.128.0.1": "",
	} {
		if got := nonPublic(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}
