"""The provider's HTTP requests made with a plain ``requests.Session``, for comparison."""

from __future__ import annotations

import time
from typing import Any

import requests

from bench.common import API_KEY, APPS_PATH
from recall_provider import zoom


class RawClient:
    """The provider's HTTP requests made directly: the floor the host's overhead adds to."""

    def __init__(self, url: str, api_key: str = API_KEY) -> None:
        self.url = url.rstrip("/") + APPS_PATH
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {api_key}"

    @staticmethod
    def _json(resp: requests.Response) -> dict[str, Any]:
        resp.raise_for_status()
        answer: dict[str, Any] = resp.json()
        return answer

    def webhook_response(self, app_id: str, secret: str) -> requests.Response:
        """Zoom's signed URL validation, without the API key, as the self-check sends it."""
        body, _, signed = zoom.signed_url_validation(secret, time.time())
        headers = {**signed, "Content-Type": "application/json", "Authorization": None}
        return self.session.post(f"{self.url}{app_id}/webhook", data=body, headers=headers)

    def webhook(self, app_id: str, secret: str) -> None:
        """The self-check's request; fails unless the app answered it."""
        self._json(self.webhook_response(app_id, secret))

    def create(self, body: dict[str, str]) -> str:
        """POST the app, then validate its webhook."""
        app_id = str(self._json(self.session.post(self.url, json=body))["id"])
        self.webhook(app_id, body["webhook_secret"])
        return app_id

    def get(self, app_id: str) -> requests.Response:
        """GET the app, whatever the answer."""
        return self.session.get(f"{self.url}{app_id}/")

    def read(self, app_id: str) -> None:
        """GET the app; fails unless it was found."""
        self._json(self.get(app_id))

    def update(self, app_id: str, webhook_secret: str) -> None:
        """PATCH the rotated secret, then validate the webhook with it."""
        patch = {"webhook_secret": webhook_secret}
        self._json(self.session.patch(f"{self.url}{app_id}/", json=patch))
        self.webhook(app_id, webhook_secret)

    def delete(self, app_id: str) -> None:
        """DELETE the app."""
        self.session.delete(f"{self.url}{app_id}/").raise_for_status()
