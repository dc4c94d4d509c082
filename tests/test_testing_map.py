"""Matching the requests a project's tests make against its routes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from apismith import testing_map
from apismith.project.loader import load_project

Tree = Callable[[dict[str, str]], Path]

APP = {
    "svc/__init__.py": "",
    "svc/config.py": """
        class Settings:
            API_V1_STR: str = "/api/v1"

        settings = Settings()
    """,
    "svc/users.py": """
        from fastapi import APIRouter

        router = APIRouter(prefix="/users")

        @router.get("/")
        def list_users(): ...

        @router.get("/me")
        def read_me(): ...

        @router.get("/{user_id}")
        def read_user(user_id: int): ...

        @router.patch("/{user_id}")
        def update_user(user_id: int): ...

        @router.delete("/{user_id}", name="remove-user")
        def delete_user(user_id: int): ...
    """,
    "svc/main.py": """
        from fastapi import FastAPI
        from svc import users
        from svc.config import settings

        app = FastAPI()
        app.include_router(users.router, prefix=settings.API_V1_STR)

        @app.get("/")
        def root(): ...
    """,
}


def reached(tree: Tree, tests: dict[str, str], app: dict[str, str] | None = None) -> set[str]:
    """``METHOD path`` of every route the given test files reach."""
    loaded = load_project(tree({**(APP if app is None else app), **tests}))
    routes = loaded.routes.routes
    hit = testing_map.tested_routes(loaded.project, routes)
    return {f"{route.method} {route.path}" for route in routes if id(route) in hit}


def test_constants_and_f_strings_with_a_settings_prefix(tree: Tree) -> None:
    found = reached(
        tree,
        {
            "tests/test_users.py": """
                from svc.config import settings

                USERS = "/api/v1/users/"

                def test_list(client):
                    assert client.get(USERS).status_code == 200

                def test_me(client):
                    assert client.get(f"{settings.API_V1_STR}/users/me").status_code == 200
            """
        },
    )
    assert found == {"GET /api/v1/users/", "GET /api/v1/users/me"}


def test_local_variables_and_request_with_a_method(tree: Tree) -> None:
    found = reached(
        tree,
        {
            "tests/test_users.py": """
                API = "/api/v1"

                def test_delete(client, user):
                    url = f"{API}/users/{user.id}"
                    client.request("DELETE", url)
            """
        },
    )
    assert found == {"DELETE /api/v1/users/{user_id}"}


def test_route_names_handler_calls_and_the_root(tree: Tree) -> None:
    found = reached(
        tree,
        {
            "tests/test_misc.py": """
                from svc.users import read_user

                def test_by_name(client):
                    client.patch(client.app.url_path_for("remove-user", user_id=1))

                def test_direct():
                    assert read_user(1) is None

                def test_root(client):
                    client.get("/")
            """
        },
    )
    assert found == {"DELETE /api/v1/users/{user_id}", "GET /api/v1/users/{user_id}", "GET /"}


def test_parametrized_paths_and_url_helpers(tree: Tree) -> None:
    found = reached(
        tree,
        {
            "tests/routes.py": """
                def v1(path: str) -> str:
                    return f"/api/v1{path}"
            """,
            "tests/test_params.py": """
                import pytest
                from tests.routes import v1

                PAGES = ["/api/v1/users/me"]

                @pytest.mark.parametrize("path", PAGES)
                def test_pages(client, path):
                    client.get(path)

                def test_patch(client):
                    client.patch(v1("/users/7"))
            """,
        },
    )
    assert found == {"GET /api/v1/users/me", "PATCH /api/v1/users/{user_id}"}


def test_prefixes_known_to_only_one_side(tree: Tree) -> None:
    found = reached(
        tree,
        {
            "tests/test_router.py": """
                def test_bare_router(client):
                    client.get("/users/me")

                async def test_base_url(http_client):
                    await http_client.patch("users/3")
            """
        },
    )
    assert found == {"GET /api/v1/users/me", "PATCH /api/v1/users/{user_id}"}


def test_methods_must_agree(tree: Tree) -> None:
    found = reached(
        tree,
        {
            "tests/test_misc.py": """
                def test_lookup(client):
                    client.post("/api/v1/users/me")
                    client.put(f"/api/v1/users/{1}")
            """
        },
    )
    assert found == set()


def test_unfollowed_client_calls_fall_back_to_mentions(tree: Tree) -> None:
    found = reached(
        tree,
        {
            "tests/test_dynamic.py": """
                class Users:
                    base = "/api/v1/users"

                def test_dynamic(api_client, route=Users):
                    api_client.patch(route.base + route.suffix)
            """
        },
    )
    assert found == {"PATCH /api/v1/users/{user_id}"}


def test_schemathesis_tests_every_route(tree: Tree) -> None:
    found = reached(
        tree,
        {
            "tests/test_schema.py": """
                import schemathesis
                from svc.main import app

                schema = schemathesis.from_asgi("/openapi.json", app)
            """
        },
    )
    assert len(found) == 6


def test_inline_tests_count_only_next_to_a_test_client(tree: Tree) -> None:
    app = {
        "main.py": """
            import httpx
            from fastapi import FastAPI
            from fastapi.testclient import TestClient

            app = FastAPI()

            @app.get("/items")
            def list_items(): ...

            def test_items():
                assert TestClient(app).get("/items").status_code == 200
        """,
        "other.py": """
            import httpx

            def test_connection():
                httpx.get("/ping")
        """,
    }
    loaded = load_project(tree(app))
    assert testing_map.collect_test_usage(loaded.project).requests[0].pattern == "/items"
    assert len(testing_map.collect_test_usage(loaded.project).requests) == 1
    assert reached(tree, {}, app) == {"GET /items"}


def test_a_project_without_tests_makes_no_requests(tree: Tree) -> None:
    loaded = load_project(tree(APP))
    assert not testing_map.collect_test_usage(loaded.project).makes_requests
