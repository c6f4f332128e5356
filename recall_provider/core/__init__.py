"""The app's lifecycle rules, knowing nothing of Pulumi: what every door of the provider serves.

``spec`` declares the inputs and outputs; ``check`` judges inputs and ``plan`` decides what a
change does (neither calls Recall); ``creation`` makes an app, never two for one Zoom app, with
``lookup`` (what Recall has), ``journal`` (this machine's records of creates), ``claims`` (what
one command's creates hold), ``evidence`` (what proves an app a create's own), ``refusals``
(the errors a create stops with), ``posting`` (one POST and what a failed one did), ``undo``
(what a failed self-check takes back) and ``made`` (how a create came by its app);
``webhook_check`` is the self-check; ``outputs`` what is recorded; ``service`` puts them
together as ``AppService``; ``naming`` lets a door name the inputs its own way in the core's
messages.
"""

from recall_provider.core.check import Checked, Failure
from recall_provider.core.naming import argument, spoken_as
from recall_provider.core.plan import Plan
from recall_provider.core.service import AppService, inputs_of
from recall_provider.core.spec import UNKNOWN, AppInputs, AppState, Unknown

__all__ = [
    "UNKNOWN",
    "AppInputs",
    "AppService",
    "AppState",
    "Checked",
    "Failure",
    "Plan",
    "Unknown",
    "argument",
    "inputs_of",
    "spoken_as",
]
