// Package s3bucket creates, hardens, reads and destroys the registry's S3
// bucket as the operations guide describes. It has no Terraform imports: the
// provider's registry_storage resource maps Terraform onto it.
package s3bucket

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ClientConfig is the provider's s3 block. Empty fields fall back to the
// SDK's default chain (AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_PROFILE, shared
// files, roles).
type ClientConfig struct {
	Region       string
	Endpoint     string
	UsePathStyle bool
	Profile      string
}

// NewClient builds an S3 client from cfg and the SDK's default chain.
func NewClient(ctx context.Context, cfg ClientConfig) (*s3.Client, error) {
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		// S3 needs a signing region even for S3-compatible servers.
		awsCfg.Region = "us-east-1"
	}
	endpointSet := cfg.Endpoint != "" || awsCfg.BaseEndpoint != nil || endpointFromEnv(ctx)
	if endpointSet {
		// S3-compatible servers (Ceph, MinIO, versitygw) reject the flexible
		// checksums the SDK sends by default.
		awsCfg.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		awsCfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.UsePathStyle || endpointSet
	}), nil
}

// endpointFromEnv reports whether the SDK's service-specific endpoint
// variable (AWS_ENDPOINT_URL_S3) or the global one is set.
func endpointFromEnv(ctx context.Context) bool {
	env, err := config.NewEnvConfig()
	if err != nil {
		return false
	}
	if env.BaseEndpoint != "" {
		return true
	}
	ep, found, err := env.GetServiceBaseEndpoint(ctx, "S3")
	return err == nil && found && ep != ""
}
