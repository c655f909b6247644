package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
)

// List resources and actions (Terraform 1.14 and newer); other CLIs never
// ask for them.
var (
	_ provider.ProviderWithListResources = (*RegistryProvider)(nil)
	_ provider.ProviderWithActions       = (*RegistryProvider)(nil)
)

func (p *RegistryProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewArtifactListResource,
	}
}

func (p *RegistryProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{
		NewRateModelAction,
	}
}
