"""Keys, user tokens and JSON-only feedback (issue 15's attacks, repeated): the real app over
the demo index, with keys set through settings.access."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from indexing.contract.settings import PROJECT_ROOT, Settings
from service.api.app import create_app
from service.api.user_token import mint
from service.cli.serve_cmd import warn_if_open
from tests.integration.api.conftest import PRODUCT, USER

API_KEY = "backend-key-0123456789"
ADMIN_KEY = "admin-key-9876543210"
SECRET = "token-secret-abcdef"


def _feedback(user: str) -> dict[str, str]:
    return {"user_id": user, "product_id": PRODUCT, "action": "view"}


@pytest.fixture
def keyed(api_settings: Settings, api: TestClient) -> Iterator[TestClient]:
    """The app with all three secrets set (`api` first: its teardown drops the caches)."""
    access = {"api_key": API_KEY, "admin_key": ADMIN_KEY, "token_secret": SECRET}
    with TestClient(app=create_app(api_settings.replace(access=access))) as client:
        yield client


@pytest.fixture
def strict(api_settings: Settings, api: TestClient) -> Iterator[TestClient]:
    access = {"api_key": API_KEY, "token_secret": SECRET, "require_user_token": True}
    with TestClient(app=create_app(api_settings.replace(access=access))) as client:
        yield client


def _refused(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    for word in words:
        assert word.lower() in detail.lower(), detail
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_without_keys_feedback_and_the_report_stay_open(api: TestClient, fresh_user: str) -> None:
    assert api.post("/feedback", json=_feedback(fresh_user)).status_code == 200
    assert api.get("/ab/report").status_code == 200
    assert api.get("/catalog/users").status_code == 200


def test_feedback_needs_the_api_key_when_it_is_set(keyed: TestClient, fresh_user: str) -> None:
    body = _feedback(fresh_user)
    _refused(keyed.post("/feedback", json=body), 401, "SHOPREC_API_KEY", "X-User-Token")
    wrong = {"x-api-key": "guess"}
    _refused(keyed.post("/feedback", json=body, headers=wrong), 401, "neither")
    bearer = {"authorization": f"Bearer {API_KEY}"}
    assert keyed.post("/feedback", json=body, headers=bearer).status_code == 200
    assert keyed.post("/feedback", json=body, headers={"x-api-key": API_KEY}).status_code == 200
    # The admin key opens whatever the API key does.
    assert keyed.post("/feedback", json=body, headers={"x-api-key": ADMIN_KEY}).status_code == 200


@pytest.mark.parametrize("path", ["/ab/report", "/catalog/users", "/catalog/meta", "/metrics"])
def test_admin_endpoints_need_the_admin_key(keyed: TestClient, path: str) -> None:
    _refused(keyed.get(path), 401, "SHOPREC_ADMIN_KEY")
    _refused(keyed.get(path, headers={"x-api-key": API_KEY}), 403, "SHOPREC_ADMIN_KEY")
    assert keyed.get(path, headers={"authorization": f"Bearer {ADMIN_KEY}"}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/recommend/content/{PRODUCT}",
        f"/recommend/user/{USER}",
        f"/recommend/hybrid?product_id={PRODUCT}",
        "/catalog/",
        "/catalog/categories",
        "/health",
        "/",
        "/insight",
    ],
)
def test_non_personal_reads_stay_open_with_keys_set(keyed: TestClient, path: str) -> None:
    assert keyed.get(path).status_code == 200


def test_a_token_sends_feedback_for_its_own_user_only(keyed: TestClient, fresh_user: str) -> None:
    token = mint(SECRET, fresh_user, 60)
    own = {"x-user-token": token}
    assert keyed.post("/feedback", json=_feedback(fresh_user), headers=own).status_code == 200
    bearer = {"authorization": f"Bearer {token}"}
    assert keyed.post("/feedback", json=_feedback(fresh_user), headers=bearer).status_code == 200
    # The attack: "300 purchases for U00008 replaced that user's whole history".
    other = {**_feedback("U00008"), "action": "purchase"}
    _refused(keyed.post("/feedback", json=other, headers=own), 403, "another user", fresh_user)
    # A token opens neither the admin endpoints nor anything for the API key alone.
    _refused(keyed.get("/ab/report", headers=own), 401, "SHOPREC_ADMIN_KEY")


def test_a_token_works_until_it_expires_and_only_as_signed(
    keyed: TestClient, fresh_user: str
) -> None:
    body = _feedback(fresh_user)
    expired = mint(SECRET, fresh_user, 60, now=time.time() - 120)
    _refused(keyed.post("/feedback", json=body, headers={"x-user-token": expired}), 401, "expired")
    forged = mint("not-the-secret", fresh_user, 60)
    _refused(keyed.post("/feedback", json=body, headers={"x-user-token": forged}), 401, "signature")
    # Another user's name under a real signature: the signature covers the user id.
    prefix, _user, expiry, signature = mint(SECRET, fresh_user, 60).split(".")
    swapped = ".".join([prefix, mint(SECRET, "U00008", 60).split(".")[1], expiry, signature])
    headers = {"x-user-token": swapped}
    _refused(keyed.post("/feedback", json=_feedback("U00008"), headers=headers), 401, "signature")
    headers = {"x-user-token": "v1.garbage"}
    _refused(keyed.post("/feedback", json=body, headers=headers), 401, "malformed")


def test_the_cli_mints_a_token_the_service_accepts(keyed: TestClient, fresh_user: str) -> None:
    env = {**os.environ, "SHOPREC_TOKEN_SECRET": SECRET, "PYTHONPATH": str(PROJECT_ROOT)}
    command = [sys.executable, "-m", "service.cli.main", "token", fresh_user, "--ttl", "120"]
    minted = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    token = minted.stdout.strip()
    expiry = int(token.split(".")[2])
    assert time.time() < expiry <= time.time() + 121
    headers = {"x-user-token": token}
    assert keyed.post("/feedback", json=_feedback(fresh_user), headers=headers).status_code == 200
    unset = {k: v for k, v in env.items() if k not in ("SHOPREC_TOKEN_SECRET", "SHOPREC_API_KEY")}
    refused = subprocess.run(command, env=unset, capture_output=True, text=True)
    assert refused.returncode == 2
    assert "SHOPREC_TOKEN_SECRET" in refused.stderr


@pytest.mark.parametrize(
    "path",
    [
        f"/recommend/user/{USER}",
        f"/recommend/hybrid?user_id={USER}&product_id={PRODUCT}",
        f"/recommend/ab?user_id={USER}",
    ],
)
def test_personalised_reads_need_the_users_token_when_required(
    strict: TestClient, path: str
) -> None:
    _refused(strict.get(path), 401, "X-User-Token")
    assert strict.get(path, headers={"x-user-token": mint(SECRET, USER, 60)}).status_code == 200
    other = {"x-user-token": mint(SECRET, "U00008", 60)}
    _refused(strict.get(path, headers=other), 403, "another user")
    assert strict.get(path, headers={"x-api-key": API_KEY}).status_code == 200
    # Around a product only, nothing is personal.
    assert strict.get(f"/recommend/hybrid?product_id={PRODUCT}").status_code == 200


def test_requiring_tokens_without_a_secret_is_refused_at_start(api_settings: Settings) -> None:
    with pytest.raises(ValueError, match="SHOPREC_TOKEN_SECRET"):
        create_app(api_settings.replace(access={"require_user_token": True}))


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
        {},
    ],
)
def test_feedback_is_json_only(api: TestClient, fresh_user: str, headers: dict[str, str]) -> None:
    """A web page can post text/plain or a form to any site without a preflight: refused."""
    body = b'{"user_id": "%s", "product_id": "P000001", "action": "purchase"}' % fresh_user.encode()
    response = api.post("/feedback", content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert "application/json" in response.json()["detail"]
    with_charset = {"content-type": "application/json; charset=utf-8"}
    assert api.post("/feedback", content=body, headers=with_charset).status_code == 200


def test_serve_warns_beyond_loopback_without_keys(api_settings: Settings) -> None:
    assert warn_if_open("127.0.0.1", api_settings) == []
    assert warn_if_open("::1", api_settings) == []
    warnings = warn_if_open("0.0.0.0", api_settings)
    assert any("SHOPREC_API_KEY" in w for w in warnings)
    assert any("SHOPREC_ADMIN_KEY" in w for w in warnings)
    keyed = api_settings.replace(access={"api_key": API_KEY, "admin_key": ADMIN_KEY})
    assert warn_if_open("0.0.0.0", keyed) == []
