package main

import "testing"

func TestTerraformShowsProviderLogs(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"TF_LOG": "off"}, false},
		{map[string]string{"TF_LOG": "OFF", "TF_LOG_SDK": "trace"}, false},
		{map[string]string{"TF_LOG_CORE": "trace"}, false},
		{map[string]string{"TF_LOG": "debug"}, true},
		{map[string]string{"TF_LOG": "json"}, true},
		{map[string]string{"TF_LOG_PROVIDER": "trace"}, true},
		{map[string]string{"TF_LOG": "trace", "TF_LOG_PROVIDER": "off"}, false},
		{map[string]string{"TF_LOG": "off", "TF_LOG_PROVIDER": "info"}, true},
	} {
		if got := terraformShowsProviderLogs(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.env, got, tc.want)
		}
	}
}
