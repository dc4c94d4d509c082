"""Parts of the server-error search: numbers beyond 64 bits made ordinary for a retry."""

from __future__ import annotations

from apismith.probe.checks.server_error import _beyond_64_bits, _tame
from apismith.probe.requests import RequestData


def test_tame_replaces_only_integers_beyond_64_bits() -> None:
    huge = 2**70
    data = RequestData(
        path={"id": 5},
        query={"offset": huge, "flag": True},
        body={"items": [huge, -huge, 7, "x"], "nested": {"n": huge}},
    )
    tamed = _tame(data)
    assert _beyond_64_bits(data)
    assert not _beyond_64_bits(tamed)
    assert tamed.path == {"id": 5}
    assert tamed.query == {"offset": 1, "flag": True}
    assert tamed.body == {"items": [1, 1, 7, "x"], "nested": {"n": 1}}
