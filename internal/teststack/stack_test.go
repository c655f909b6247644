package teststack

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A component starts once, with what it needs, and provides its variables;
// Stop ends every process, so that nothing answers on their ports after.
func TestStackStartsOnceAndStops(t *testing.T) {
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Start("registry"); err != nil {
		t.Fatal(err)
	}
	env := st.Env()
	for _, name := range []string{"REGISTRY_ENDPOINT", "REGISTRY_USERNAME", "REGISTRY_PASSWORD", "UPSTREAM_REPLAY_URL", "REGISTRY_SERVER_BIN"} {
		if env[name] == "" {
			t.Errorf("%s is not provided: %v", name, env)
		}
	}
	endpoint := env["REGISTRY_ENDPOINT"]
	if err := st.Start("registry"); err != nil || st.Env()["REGISTRY_ENDPOINT"] != endpoint {
		t.Errorf("a second Start: %v, endpoint %s, want the first one %s", err, st.Env()["REGISTRY_ENDPOINT"], endpoint)
	}
	resp, err := http.Get(endpoint + "/health") //nolint:noctx // a test's one-off probe
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	st.Stop()
	host := strings.TrimPrefix(endpoint, "http://")
	if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Stop", host)
	}
}

func TestStackUnknownComponent(t *testing.T) {
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Start("postgres"); err == nil || !strings.Contains(err.Error(), "versitygw") {
		t.Errorf("Start(postgres): %v, want an error listing the components", err)
	}
}

// Every variable a test may ask for has one component that provides it,
// and what a component needs exists.
func TestComponentsProvideEachVariableOnce(t *testing.T) {
	seen := map[string]string{}
	for _, c := range components {
		for _, v := range c.provides {
			if other, dup := seen[v]; dup {
				t.Errorf("%s is provided by %s and %s", v, other, c.name)
			}
			seen[v] = c.name
		}
		for _, need := range c.needs {
			if _, ok := componentNamed(need); !ok {
				t.Errorf("%s needs %q, which is no component", c.name, need)
			}
		}
	}
}

// The quickstart's registry: at a fixed address, with the server's default
// page size; a second one at the same address fails with ErrAddrTaken,
// which scripts/quickstart.sh turns into a hint naming REGISTRY_ADDR.
func TestRegistryAtFixedAddress(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	first, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop()
	first.RegistryAddr, first.RegistryPageSize = addr, 0
	if err := first.Start("registry"); err != nil {
		t.Fatal(err)
	}
	if got := first.Env()["REGISTRY_ENDPOINT"]; got != "http://"+addr {
		t.Errorf("REGISTRY_ENDPOINT = %s, want http://%s", got, addr)
	}
	second, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Stop()
	second.RegistryAddr = addr
	if err := second.Start("registry"); !errors.Is(err, ErrAddrTaken) || !strings.Contains(err.Error(), addr) {
		t.Errorf("a second registry at %s: %v, want ErrAddrTaken naming the address", addr, err)
	}
}
