"""A Pulumi program of one's own that manages one Recall Zoom OAuth app with recall-zoom."""

import pulumi

from recall_provider import RecallZoomOAuthApp, RecallZoomOAuthAppArgs

config = pulumi.Config()  # this project's namespace: my-zoom-app:clientId, ...
app = RecallZoomOAuthApp(
    "zoom",
    RecallZoomOAuthAppArgs(
        kind=config.get("kind") or "user_level",  # or "account_level"
        client_id=config.require("clientId"),
        client_secret=config.require_secret("clientSecret"),
        webhook_secret=config.require_secret("webhookSecret"),
    ),
)
pulumi.export("zoom_oauth_app_id", app.id)
pulumi.export("webhook_url", app.webhook_url)
