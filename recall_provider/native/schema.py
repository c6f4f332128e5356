"""The Pulumi package schema of the native ``recall`` provider, made from the declarations.

Every property, its type, description, secrecy and default comes from ``core.spec`` (the inputs
and outputs) and ``settings`` (the provider's settings): nothing here is written a second time.
The checked-in ``provider/schema.json`` is this schema; the tests hold the two together and
validate it against Pulumi's metaschema.
"""

from __future__ import annotations

import json
import types
from importlib import metadata
from typing import Any, Union, get_args, get_origin

from pydantic.fields import FieldInfo

from recall_provider.core.spec import (
    DEFAULTS,
    NAMES,
    OUTPUT_NAMES,
    REQUIRED,
    SECRETS,
    AppInputs,
    AppState,
    camel,
    description,
)
from recall_provider.settings import SETTINGS

__all__ = ["DYNAMIC_TYPE", "PACKAGE", "RESOURCE", "VERSION", "schema", "schema_json"]


def _version() -> str:
    try:
        return metadata.version("recall-zoom")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "0.0.0"


PACKAGE = "recall"
"""The package's name: its resource tokens and its settings (``recall:apiKey``) start so."""
RESOURCE = f"{PACKAGE}:index:ZoomOAuthApp"
"""The resource's type token."""
DYNAMIC_TYPE = "pulumi-python:dynamic/recall:ZoomOAuthApp"
"""The dynamic resource's type: the native one's alias, so a stack moves without a replace."""
VERSION = _version()
"""The plugin's version (the schema's, and GetPluginInfo's): the package's."""


def _type(field: FieldInfo) -> dict[str, Any]:
    annotation = field.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = (a for a in get_args(annotation) if a is not type(None))
    return {"type": "boolean" if annotation is bool else "string"}


def _property(name: str, field: FieldInfo, *, default: bool) -> dict[str, Any]:
    prop = {**_type(field), "description": description(name)}
    if name in SECRETS:
        prop["secret"] = True
    if default and name in DEFAULTS and DEFAULTS[name] is not None:
        prop["default"] = DEFAULTS[name]
    return prop


def _settings() -> dict[str, dict[str, Any]]:
    variables = {}
    for key, setting in SETTINGS.items():
        # The provider reads the variable itself, by the settings' rules (where Recall lives
        # is one setting); an SDK's defaultInfo would fill each key on its own.
        variable: dict[str, Any] = {
            "type": "string",
            "description": f"{setting.description} When unset: ${setting.env}.",
        }
        if setting.secret:
            variable["secret"] = True
        variables[key.split(":", 1)[1]] = variable
    return variables


def schema() -> dict[str, Any]:
    """The package schema, as GetSchema answers it."""
    inputs = AppInputs.model_fields
    outputs = AppState.model_fields
    settings = _settings()
    return {
        "name": PACKAGE,
        "displayName": "Recall.ai Zoom OAuth Apps",
        "version": VERSION,
        "description": "Recall.ai's Zoom OAuth apps: the record of a Zoom app's credentials "
        "that lets Recall's bots join that Zoom app's meetings.",
        "keywords": ["recall", "zoom", "category/utility", "kind/native"],
        "license": "Apache-2.0",
        "config": {"variables": settings},
        "provider": {
            "description": "The provider of Recall.ai Zoom OAuth apps: one Recall workspace "
            "(API key) in one region.",
            "inputProperties": settings,
        },
        "resources": {
            RESOURCE: {
                "description": "A Recall.ai Zoom OAuth App: Recall's record of a Zoom app's "
                "credentials. Never a second app for one Zoom app; an app made outside "
                "Pulumi is adopted (adoptAppId) or imported.",
                "aliases": [{"type": DYNAMIC_TYPE}],
                "inputProperties": {camel(n): _property(n, inputs[n], default=True) for n in NAMES},
                "requiredInputs": [camel(n) for n in REQUIRED],
                "properties": {
                    camel(n): _property(n, outputs[n], default=False) for n in OUTPUT_NAMES
                },
                "required": [
                    camel(n) for n in OUTPUT_NAMES if outputs[n].is_required() or n in REQUIRED
                ],
            }
        },
        "language": {
            "python": {"requires": {"pulumi": ">=3.160.0,<4.0.0"}},
            "nodejs": {"packageName": "@recall-zoom/recall"},
            "go": {"importBasePath": "github.com/recall-zoom/pulumi-recall/sdk/go/recall"},
        },
    }


def schema_json() -> str:
    """The schema as the checked-in file holds it."""
    return json.dumps(schema(), indent=2, sort_keys=False) + "\n"
