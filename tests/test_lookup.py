"""The look before a create, in one process: the app index and the claims of one command."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from recall_provider.client import RecallClient
from recall_provider.core.claims import Claims
from recall_provider.core.lookup import MAX_AGE, AppIndex
from recall_provider.emulator import EmulatorServer
from recall_provider.errors import ErrorCode, RecallResponseError
from recall_provider.models import ZoomOAuthApp, ZoomOAuthAppCreate
from tests.helpers import APPS, Clock, make_app
from tests.scripted_server import Reply, ScriptedServer

API_KEY = "lookup-api-key-0123456789"


@pytest.fixture
def client(fresh_emulator: EmulatorServer) -> Iterator[RecallClient]:
    with RecallClient(API_KEY, base_url=fresh_emulator.url) as c:
        yield c


def test_one_listing_answers_every_client_id_of_a_small_workspace(
    client: RecallClient, fresh_emulator: EmulatorServer
) -> None:
    theirs = make_app(fresh_emulator, client_id="someoneElse")
    index = AppIndex(client)
    assert [a.id for a in index.apps_for("someoneElse")] == [theirs["id"]]
    assert [index.apps_for(f"new{i}") for i in range(5)] == [[]] * 5
    # The named app is looked up again (it may be gone), the others come from the listing.
    assert fresh_emulator.app.count("GET", APPS) == 2


def test_a_no_app_answer_is_trusted_for_a_while_then_asked_again(
    client: RecallClient, fresh_emulator: EmulatorServer
) -> None:
    clock = Clock()
    index = AppIndex(client, clock=clock)
    assert index.apps_for("zoomClient") == []
    by_hand = make_app(fresh_emulator, client_id="zoomClient")  # behind the index's back
    clock.now += MAX_AGE - 1
    assert index.apps_for("zoomClient") == [], "within the window: the race README tells of"
    clock.now += 1
    assert [a.id for a in index.apps_for("zoomClient")] == [by_hand["id"]], "walked again"


def test_the_apps_this_process_makes_and_deletes_are_kept_in_the_index(
    client: RecallClient, fresh_emulator: EmulatorServer
) -> None:
    index = AppIndex(client)
    assert index.apps_for("zoomClient") == []
    made = client.create_app(_create("zoomClient"))
    index.record(made)
    assert [a.id for a in index.apps_for("zoomClient")] == [made.id]
    client.delete_app(made.id)
    index.forget(made.id)
    lists = fresh_emulator.app.count("GET", APPS)
    assert index.apps_for("zoomClient") == []
    assert fresh_emulator.app.count("GET", APPS) == lists, "known gone: Recall is not asked"


class _LaggingClient(RecallClient):
    """Recall whose listing does not show the apps in ``unlisted`` yet (nothing documents that
    a new app is listed at once)."""

    unlisted: set[str]

    def app_pages(
        self, *, client_id: str | None = None, kind: str | None = None
    ) -> Iterator[tuple[list[ZoomOAuthApp], bool]]:
        for page, last in super().app_pages(client_id=client_id, kind=kind):
            yield [app for app in page if app.id not in self.unlisted], last


def test_an_app_this_process_made_counts_while_the_listing_lags(
    fresh_emulator: EmulatorServer,
) -> None:
    lagging = _LaggingClient(API_KEY, base_url=fresh_emulator.url)
    with lagging:
        index = AppIndex(lagging)
        made = lagging.create_app(_create("zoomClient"))
        lagging.unlisted = {made.id}
        index.record(made)
        other = make_app(fresh_emulator, client_id="zoomClient")  # listed at once
        found = index.apps_for("zoomClient", fresh=True)
        assert sorted(a.id for a in found) == sorted([made.id, other["id"]])
        index.forget(made.id)
        assert [a.id for a in index.apps_for("zoomClient", fresh=True)] == [other["id"]]


def test_an_app_this_process_made_counts_after_the_listing_is_walked_again(
    fresh_emulator: EmulatorServer,
) -> None:
    clock = Clock()
    lagging = _LaggingClient(API_KEY, base_url=fresh_emulator.url)
    with lagging:
        index = AppIndex(lagging, clock=clock)
        assert index.apps_for("zoomClient") == []
        made = lagging.create_app(_create("zoomClient"))
        lagging.unlisted = {made.id}
        index.record(made)
        clock.now += MAX_AGE  # the next look walks the (lagging) listing again
        assert [a.id for a in index.apps_for("zoomClient")] == [made.id]


def test_a_fresh_look_asks_recall_even_when_the_listing_says_no_app(
    client: RecallClient, fresh_emulator: EmulatorServer
) -> None:
    # Another process's create, which this one waited for, may have made the app meanwhile.
    index = AppIndex(client)
    assert index.apps_for("zoomClient") == []
    theirs = make_app(fresh_emulator, client_id="zoomClient")
    assert index.apps_for("zoomClient") == [], "the listing's answer"
    assert [a.id for a in index.apps_for("zoomClient", fresh=True)] == [theirs["id"]]


def test_the_listing_is_as_old_as_its_first_page(
    client: RecallClient, fresh_emulator: EmulatorServer
) -> None:
    fresh_emulator.backend.page_size = 1
    for i in range(3):
        make_app(fresh_emulator, client_id=f"other{i}")
    clock = Clock()
    index = AppIndex(client, clock=clock)
    for i in range(3):  # one page per asking create, a minute apart
        index.apps_for(f"new{i}")
        clock.now += 60
    assert index.complete
    by_hand = make_app(fresh_emulator, client_id="zoomClient")
    clock.now += MAX_AGE - 3 * 60  # the walk began MAX_AGE ago
    assert [a.id for a in index.apps_for("zoomClient")] == [by_hand["id"]], "walked again"


def test_a_client_id_is_created_by_one_create_at_a_time() -> None:
    claims = Claims()
    entered = {name: threading.Event() for name in "abc"}
    release = threading.Event()

    def create(name: str, client_id: str) -> None:
        with claims.creating(client_id):
            entered[name].set()
            release.wait(5)

    threads = [threading.Thread(target=create, args=args, daemon=True)
               for args in (("a", "same"), ("b", "same"), ("c", "another"))]  # fmt: skip
    threads[0].start()
    assert entered["a"].wait(5)
    threads[1].start()
    threads[2].start()
    assert entered["c"].wait(5), "another client id does not wait"
    assert not entered["b"].wait(0.3), "the same client id waits for the first create"
    release.set()
    assert entered["b"].wait(5), "and goes once it is done"
    for thread in threads:
        thread.join(5)


def _create(client_id: str) -> ZoomOAuthAppCreate:
    return ZoomOAuthAppCreate.model_validate(
        {
            "kind": "user_level",
            "client_id": client_id,
            "client_secret": "cs-0001",
            "webhook_secret": "ws-0001",
        }
    )


def _app(i: int) -> dict[str, Any]:
    return {"id": str(uuid.UUID(int=i + 1)), "kind": "user_level", "client_id": "zoomClient"}


@pytest.mark.parametrize(
    ("items", "names"),
    [([_app(0), _app(1)], ("page 2", _app(0)["id"])), ([], ("page 1",))],
    ids=["the-same-page-again", "empty-pages"],
)
def test_a_listing_that_never_ends_stops_the_look(items: list[Any], names: tuple[str, ...]) -> None:
    # Each answer links to a new cursor, so only what the pages hold shows the loop; after
    # fifty pages the listing ends, so a look that is not stopped is seen, not waited for.
    count = itertools.count()

    def page(_: bytes) -> dict[str, Any]:
        n = next(count)
        link = f"http://127.0.0.1:1/api/v2/zoom-oauth-apps/?cursor=c{n}"
        return {"next": link, "results": items} if n < 50 else {"next": None, "results": []}

    with (
        ScriptedServer(Reply(200, page)) as server,
        RecallClient(API_KEY, base_url=server.url) as c,
    ):
        index = AppIndex(c)
        with pytest.raises(RecallResponseError) as info:
            _look(index, times=5)
        assert info.value.code is ErrorCode.BAD_RESPONSE
        for name in names:  # the page that repeats, and the app it lists again
            assert name in str(info.value)
        assert len(server.seen) <= 3
        assert not index.complete


def _look(index: AppIndex, *, times: int) -> None:
    """Look as ``times`` creates of one command do, one after the other."""
    for _ in range(times):
        index.apps_for("zoomClient")
