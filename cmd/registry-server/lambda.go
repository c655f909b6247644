package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/lambdaproxy"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/serverconfig"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
)

// errLambdaTokenSecret is the start-up error of Lambda mode without
// TOKEN_SECRET: each instance would sign with its own random secret, so a
// token from one instance would be refused by the next.
var errLambdaTokenSecret = errors.New("TOKEN_SECRET is not set: in AWS Lambda every instance must sign tokens with the same secret, " +
	"so set TOKEN_SECRET in the function's environment (for example from a secret variable) and deploy again")

// runLambda serves API Gateway proxy events (HTTP API payload 2.0, REST
// API payload 1.0) through the same handler as the process, with the same
// storage, fallback rules and JSON logs on stderr (CloudWatch). It returns
// only on a start-up error.
func runLambda(log *slog.Logger, e serverconfig.Env) error {
	if e.TokenSecret == "" {
		return errLambdaTokenSecret
	}
	cfg, err := serverConfig(log, e)
	if err != nil {
		return err
	}
	// Lambda's init phase lasts at most 10 s.
	startCtx, cancel := context.WithTimeout(context.Background(), 9*time.Second)
	opened, err := store.Open(startCtx, e.Storage(), log)
	cancel()
	if err != nil {
		return err
	}
	if opened.Store.Backend() == "memory" && len(opened.Failures) == 0 {
		log.Warn("neither USE_S3 nor USE_SQLITE is set: artifacts live in this instance's memory, are not shared between instances and are lost when it ends")
	}
	cfg.Storage = opened
	srv, err := server.New(cfg)
	if err != nil {
		_ = opened.Store.Close() // the start has failed already
		return err
	}
	log.Info("registry server ready for API Gateway events", "backend", opened.Store.Backend(), "version", cfg.Version,
		"function", e.LambdaFunctionName)
	lambda.Start(lambdaproxy.Handler{HTTP: srv.Handler()})
	return nil
}
