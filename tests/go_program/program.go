package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/recall-zoom/pulumi-recall/sdk/go/recall"
)

// program is the stack's Go program: one app, its secrets from the stack's config.
func program(ctx *pulumi.Context) error {
	cfg := config.New(ctx, "")
	app, err := recall.NewZoomOAuthApp(ctx, "app", &recall.ZoomOAuthAppArgs{
		ClientId:      pulumi.String("zoomClientGo"),
		ClientSecret:  cfg.RequireSecret("clientSecret"),
		WebhookSecret: cfg.RequireSecret("webhookSecret"),
	})
	if err != nil {
		return err
	}
	ctx.Export("id", app.ID())
	ctx.Export("webhookUrl", app.WebhookUrl)
	return nil
}
