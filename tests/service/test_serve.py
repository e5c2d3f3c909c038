"""``policycalc serve`` as an operator runs it: a real uvicorn server in a subprocess,
queried over HTTP (urllib, and curl where installed) for every shipped profile; each
answer must equal what ``policycalc check --json`` prints for the same profile."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..apihelpers import AS_OF, SHIPPED, check_json, profile_json
from .serving import running_service


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("serve") / "server.log"
    with running_service(log) as (base, _):
        yield base, log


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_every_shipped_profile_gets_the_check_json_report(server: tuple[str, Path]) -> None:
    base, log = server
    curl = shutil.which("curl")
    for path in SHIPPED:
        body = {"profile": profile_json(path), "as_of": AS_OF}
        expected = check_json(path)
        assert _post(f"{base}/v1/evaluate", body) == expected, path.name
        if curl:
            shown = subprocess.run(
                [curl, "-sS", "-X", "POST", f"{base}/v1/evaluate", "-H", "Content-Type: application/json",
                 "--data-binary", json.dumps(body, ensure_ascii=False)],
                capture_output=True, check=True, timeout=30)
            assert json.loads(shown.stdout) == expected, path.name
    assert "http://127.0.0.1:" in log.read_text(encoding="utf-8")


def test_a_bad_request_to_the_server_is_a_chinese_json_error(server: tuple[str, Path]) -> None:
    base, log = server
    with pytest.raises(urllib.error.HTTPError) as info:
        _post(f"{base}/v1/evaluate", {"profile": {"kind": "company", "name": "甲", "revnue": 1}})
    assert info.value.code == 422
    error = json.load(info.value)["error"]
    assert error["problems"][0]["field"] == "profile.revnue"
    assert "Traceback" not in log.read_text(encoding="utf-8")
