package s3bucket

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	valid := []string{
		"abc",
		"trustworthy-registry-artifacts-47906",
		"my.bucket.name",
		"0123456789",
		strings.Repeat("a", 63),
		"192.168.5.4a",
	}
	for _, name := range valid {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", name, err)
		}
	}
	invalid := map[string]string{
		"ab":                     "3 to 63 characters",
		strings.Repeat("a", 64):  "3 to 63 characters",
		"My-Bucket":              "lowercase letters",
		"under_score":            "lowercase letters",
		"-leading":               "begin and end",
		"trailing-":              "begin and end",
		"trailing.":              "begin and end",
		"two..dots":              "adjacent dots",
		"192.168.5.4":            "IP address",
		"xn--bucket":             "reserves",
		"sthree-bucket":          "reserves",
		"bucket-s3alias":         "reserves",
		"bucket--ol-s3":          "reserves",
		"space in name":          "lowercase letters",
		"trustworthy-registry-é": "lowercase letters",
	}
	for name, want := range invalid {
		err := ValidateName(name)
		if err == nil {
			t.Errorf("ValidateName(%q) = nil, want an error about %q", name, want)
			continue
		}
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), name) {
			t.Errorf("ValidateName(%q) = %q, want the name and %q in it", name, err, want)
		}
	}
}

func TestValidatePrefix(t *testing.T) {
	for _, prefix := range []string{DefaultPrefix, "a", "team.registry-", strings.Repeat("p", MaxPrefixLength)} {
		if err := ValidatePrefix(prefix); err != nil {
			t.Errorf("ValidatePrefix(%q) = %v, want nil", prefix, err)
		}
	}
	invalid := map[string]string{
		"":                                     "must not be empty",
		strings.Repeat("p", MaxPrefixLength+1): "at most 37",
		"Upper-":                               "lowercase letters",
		"-dash":                                "begin and end",
		"a..b-":                                "adjacent dots",
		"xn--":                                 "reserves",
	}
	for prefix, want := range invalid {
		err := ValidatePrefix(prefix)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidatePrefix(%q) = %v, want an error about %q", prefix, err, want)
		}
	}
}

func TestGenerateName(t *testing.T) {
	if MaxPrefixLength != 37 {
		t.Fatalf("MaxPrefixLength = %d, want 37 (63 minus a %d-character suffix)", MaxPrefixLength, GeneratedSuffixLength)
	}
	seen := map[string]bool{}
	for _, prefix := range []string{DefaultPrefix, "a", strings.Repeat("p", MaxPrefixLength)} {
		for range 50 {
			name, err := GenerateName(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(name, prefix) || len(name) != len(prefix)+GeneratedSuffixLength {
				t.Fatalf("GenerateName(%q) = %q, want the prefix and a %d-character suffix", prefix, name, GeneratedSuffixLength)
			}
			if err := ValidateName(name); err != nil {
				t.Fatalf("GenerateName(%q) = %q, which is invalid: %v", prefix, name, err)
			}
			if seen[name] {
				t.Fatalf("GenerateName(%q) returned %q twice", prefix, name)
			}
			seen[name] = true
			if got := PrefixFromName(name); got != prefix {
				t.Fatalf("PrefixFromName(%q) = %q, want %q", name, got, prefix)
			}
		}
	}
}

func TestPrefixFromNameNotGenerated(t *testing.T) {
	for _, name := range []string{"abc", "trustworthy-registry-artifacts-47906", "registry-acc-artifacts", strings.Repeat("1", GeneratedSuffixLength)} {
		if got := PrefixFromName(name); got != "" {
			t.Errorf("PrefixFromName(%q) = %q, want \"\"", name, got)
		}
	}
}
