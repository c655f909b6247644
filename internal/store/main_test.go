package store

import (
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// TestMain starts, on first use, what the tests ask teststack.Getenv for,
// and stops it when they end.
func TestMain(m *testing.M) { teststack.Main(m) }
