package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
)

var _ provider.ProviderWithListResources = (*RegistryProvider)(nil)

// ListResources are for `terraform query` (Terraform 1.14 and newer); other
// CLIs never ask for them.
func (p *RegistryProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewArtifactListResource,
	}
}
