package provider

import (
	"context"
	"errors"
	"fmt"
	"os"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

// captureString is a knownvalue check that stores the value, so that later
// steps (out-of-band changes, import IDs) can use it.
func captureString(dst *string) knownvalue.Check {
	return knownvalue.StringFunc(func(v string) error {
		if v == "" {
			return errors.New("empty value")
		}
		*dst = v
		return nil
	})
}

// stateCheckFunc is a state check over the whole state.
type stateCheckFunc func(state *tfjson.State) error

func (f stateCheckFunc) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		resp.Error = errors.New("no state")
		return
	}
	resp.Error = f(req.State)
}

// registryCheck is a state check that asks the registry itself.
type registryCheck func(ctx context.Context, c *client.Client) error

func (f registryCheck) CheckState(ctx context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	c, err := client.New(client.Config{
		Endpoint: os.Getenv(envEndpoint),
		Username: os.Getenv(envUsername),
		Password: os.Getenv(envPassword),
		Token:    os.Getenv(envToken),
		IsAdmin:  true,
	})
	if err != nil {
		resp.Error = err
		return
	}
	resp.Error = f(ctx, c)
}

func importIDOf(address string) resource.ImportStateIdFunc {
	return func(s *terraform.State) (string, error) {
		rs, ok := s.RootModule().Resources[address]
		if !ok {
			return "", fmt.Errorf("%s not in state", address)
		}
		return rs.Primary.Attributes["type"] + "/" + rs.Primary.ID, nil
	}
}
