package s3bucket

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// DefaultPrefix is the name prefix the operations guide uses for the
// registry's bucket.
const DefaultPrefix = "trustworthy-registry-artifacts-"

const (
	minNameLength = 3
	maxNameLength = 63
	// suffixTimeFormat and suffixRandomBytes make up the unique suffix of a
	// generated name: a UTC timestamp (which keeps names sortable by age, as
	// the guide's `date +%s` does) and random hex against collisions.
	suffixTimeFormat  = "20060102150405"
	suffixRandomBytes = 6
	// GeneratedSuffixLength is the length of the suffix GenerateName appends.
	GeneratedSuffixLength = len(suffixTimeFormat) + 2*suffixRandomBytes
	// MaxPrefixLength is the longest prefix that still yields a valid name.
	MaxPrefixLength = maxNameLength - GeneratedSuffixLength
)

var (
	nameChars       = regexp.MustCompile(`^[a-z0-9.-]+$`)
	generatedSuffix = regexp.MustCompile(`^[0-9]{14}[0-9a-f]{12}$`)
	// S3 reserves these for its own features (access point aliases,
	// Object Lambda, directory buckets, ...).
	reservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// ValidateName checks name against S3's general purpose bucket naming rules.
// The error names the bucket and the rule it breaks.
func ValidateName(name string) error {
	if n := len(name); n < minNameLength || n > maxNameLength {
		return fmt.Errorf("bucket name %q is %d characters long; S3 bucket names are %d to %d characters", name, n, minNameLength, maxNameLength)
	}
	if !nameChars.MatchString(name) {
		return fmt.Errorf("bucket name %q may only contain lowercase letters, digits, dots (.) and hyphens (-)", name)
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return fmt.Errorf("bucket name %q must begin and end with a lowercase letter or a digit", name)
	}
	if strings.Contains(name, "..") {
		return fmt.Errorf("bucket name %q must not contain two adjacent dots (..)", name)
	}
	if addr, err := netip.ParseAddr(name); err == nil && addr.Is4() {
		return fmt.Errorf("bucket name %q must not be formatted as an IP address", name)
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(name, p) {
			return fmt.Errorf("bucket name %q must not begin with %q, which S3 reserves", name, p)
		}
	}
	for _, s := range reservedSuffixes {
		if strings.HasSuffix(name, s) {
			return fmt.Errorf("bucket name %q must not end with %q, which S3 reserves", name, s)
		}
	}
	return nil
}

// ValidatePrefix checks that every name GenerateName can derive from prefix
// is a valid bucket name.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return fmt.Errorf("bucket prefix must not be empty")
	}
	if len(prefix) > MaxPrefixLength {
		return fmt.Errorf("bucket prefix %q is %d characters long; at most %d fit before the %d-character unique suffix in a 63-character bucket name", prefix, len(prefix), MaxPrefixLength, GeneratedSuffixLength)
	}
	// The suffix is digits and hex letters only, so one representative name
	// breaks a rule exactly when every generated name does.
	sample := prefix + strings.Repeat("0", GeneratedSuffixLength)
	if err := ValidateName(sample); err != nil {
		return fmt.Errorf("bucket prefix %q cannot yield a valid bucket name: %w", prefix, err)
	}
	return nil
}

// GenerateName returns prefix followed by a unique suffix.
func GenerateName(prefix string) (string, error) {
	random := make([]byte, suffixRandomBytes)
	if _, err := rand.Read(random); err != nil {
		return "", fmt.Errorf("generating a bucket name: %w", err)
	}
	return prefix + time.Now().UTC().Format(suffixTimeFormat) + hex.EncodeToString(random), nil
}

// PrefixFromName returns the prefix that GenerateName was given to produce
// name, or "" when name does not look generated.
func PrefixFromName(name string) string {
	if len(name) <= GeneratedSuffixLength {
		return ""
	}
	cut := len(name) - GeneratedSuffixLength
	if !generatedSuffix.MatchString(name[cut:]) {
		return ""
	}
	return name[:cut]
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
