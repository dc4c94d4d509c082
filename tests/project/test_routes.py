"""The route model against what real FastAPI apps register when imported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from apismith.project.loader import load_project
from tests.conftest import registered_routes

Tree = Callable[[dict[str, str]], Path]

LAYOUTS: dict[str, tuple[dict[str, str], str]] = {
    "single-file": (
        {
            "main.py": """
                from fastapi import FastAPI, APIRouter
                app = FastAPI()
                router = APIRouter(prefix="/items")

                @app.get("/")
                def root(): ...

                @router.get("/")
                def list_items(): ...

                @router.api_route("/{item_id}", methods=["GET", "PUT"])
                def item(item_id: int): ...

                def health(): ...

                app.add_api_route("/health", health, methods=["HEAD"])
                app.include_router(router)
            """,
        },
        "main:app",
    ),
    "package-nested-prefixes": (
        {
            "svc/__init__.py": "",
            "svc/config.py": """
                from pydantic_settings import BaseSettings
                class Settings(BaseSettings):
                    API_V1_STR: str = "/api/v1"
                settings = Settings()
            """,
            "svc/api/__init__.py": "",
            "svc/api/routes/__init__.py": "",
            "svc/api/routes/users.py": """
                from fastapi import APIRouter
                router = APIRouter(prefix="/users", tags=["users"])

                @router.get("/")
                def list_users(): ...

                @router.get("/{user_id}")
                def get_user(user_id: int): ...

                @router.delete("/{user_id}")
                async def delete_user(user_id: int): ...
            """,
            "svc/api/routes/items.py": """
                from fastapi import APIRouter
                router = APIRouter()

                @router.post("/items", status_code=201)
                def create_item(): ...
            """,
            "svc/api/main.py": """
                from fastapi import APIRouter
                from svc.api.routes import items, users
                api_router = APIRouter()
                api_router.include_router(users.router)
                api_router.include_router(items.router, prefix="/v2")
            """,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc.api.main import api_router
                from svc.config import settings

                def create_app() -> FastAPI:
                    application = FastAPI(title="svc")
                    application.include_router(api_router, prefix=settings.API_V1_STR)
                    return application

                app = create_app()
            """,
        },
        "svc.main:app",
    ),
    "router-factories": (
        {
            "kit/__init__.py": "",
            "kit/oauth.py": """
                from typing import Literal
                from fastapi import APIRouter

                def provider_router(name: str, *, callback: Literal["GET", "POST"] = "GET"):
                    router = APIRouter(prefix=f"/{name}")

                    @router.get("/authorize")
                    async def authorize(): ...

                    @router.api_route("/callback", methods=[callback])
                    async def on_callback(): ...

                    return router

                def crud_router(resource: str, with_delete: bool = False) -> APIRouter:
                    router = APIRouter()

                    @router.get("/" + resource)
                    def listing(): ...

                    return router

                def plain_router() -> APIRouter:
                    router = APIRouter(prefix="/plain")

                    @router.get("/")
                    def plain(): ...

                    return router
            """,
            "kit/main.py": """
                from fastapi import APIRouter, FastAPI
                from kit.oauth import crud_router, plain_router, provider_router

                auth = APIRouter(prefix="/auth")
                auth.include_router(provider_router("github"))
                auth.include_router(provider_router("apple", callback="POST"))
                books = crud_router("books")

                @books.get("/books/count")
                def count(): ...

                app = FastAPI()
                app.include_router(auth)
                app.include_router(books, prefix="/v1")
                app.include_router(crud_router(resource="films"))
                app.include_router(plain_router())
            """,
        },
        "kit.main:app",
    ),
    "wiring-helpers": (
        {
            "hub/__init__.py": "",
            "hub/config.py": """
                from pydantic_settings import BaseSettings

                class Settings(BaseSettings):
                    api_prefix: str = "/api"

                def get_settings() -> Settings:
                    return Settings()
            """,
            "hub/main.py": """
                from fastapi import APIRouter, FastAPI
                from hub.config import Settings, get_settings

                items_router = r = APIRouter()

                @r.get("/items")
                def items(): ...

                sub = APIRouter()

                @sub.get("/token")
                def token(): ...

                def add_routes(router: APIRouter) -> APIRouter:
                    router.include_router(sub, prefix="/oauth")
                    return router

                plain = add_routes(APIRouter())
                tenant = add_routes(APIRouter(prefix="/{tenant}"))

                inner = FastAPI()

                @inner.get("/hello")
                def hello(): ...

                def build() -> FastAPI:
                    settings = get_settings()
                    defaults = Settings()
                    application = FastAPI()
                    application.include_router(items_router, prefix=settings.api_prefix)
                    application.include_router(plain, prefix=defaults.api_prefix + "/v2")
                    application.include_router(tenant)
                    application.mount("/", inner)
                    return application

                app = build()
            """,
        },
        "hub.main:app",
    ),
    "mounted-sub-app": (
        {
            "portal/__init__.py": "",
            "portal/admin.py": """
                from fastapi import FastAPI
                admin = FastAPI()

                @admin.get("/stats")
                def stats(): ...
            """,
            "portal/main.py": """
                from fastapi import FastAPI
                from .admin import admin as admin_app
                app = FastAPI()
                app.mount("/admin", admin_app)

                @app.post("/echo/")
                def echo(): ...
            """,
        },
        "portal.main:app",
    ),
    "wired-by-renamed-functions": (
        {
            "relay/__init__.py": "from relay.wiring import register_users as install\n",
            "relay/wiring.py": """
                from fastapi import APIRouter
                items = APIRouter(prefix="/items")
                users = APIRouter(prefix="/users")

                @items.get("/")
                def list_items(): ...

                @users.get("/me")
                def me(): ...

                def register_items(app):
                    app.include_router(items, prefix="/v1")

                def register_users(app):
                    app.include_router(users, prefix="/v2")
            """,
            "relay/main.py": """
                from fastapi import FastAPI
                import relay
                from relay.wiring import register_items as hook
                app = FastAPI()
                hook(app)
                relay.install(app)
            """,
        },
        "relay.main:app",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_route_model_matches_real_app(layout: str, tree: Tree) -> None:
    files, target = LAYOUTS[layout]
    root = tree(files)
    modelled = {(route.method, route.path) for route in load_project(root).routes.routes}
    assert modelled == registered_routes(root, target)


AUTH_APP = {
    "app/__init__.py": "",
    "app/deps.py": """
        from typing import Annotated
        from fastapi import Depends, HTTPException, Security
        from fastapi.security import HTTPBearer, OAuth2PasswordBearer, APIKeyHeader

        oauth2 = OAuth2PasswordBearer(tokenUrl="token")
        bearer = HTTPBearer()
        api_key = APIKeyHeader(name="X-Key")

        def get_current_user(token: Annotated[str, Depends(oauth2)]) -> str:
            return token

        CurrentUser = Annotated[str, Depends(get_current_user)]

        def paginate(page: int = 1) -> int:
            return page

        class RoleChecker:
            def __init__(self, roles: list[str]) -> None:
                self.roles = roles

            def __call__(self, user: CurrentUser) -> str:
                return user

        admin_only = RoleChecker(["admin"])

        def verify_session(session: str | None = None) -> None:
            if session is None:
                raise HTTPException(status_code=401)
    """,
    "app/factories.py": """
        from __future__ import annotations

        from typing import Annotated
        from fastapi import Depends
        from app.deps import get_current_user

        def requires_role(role: str):
            async def dependency(user: Annotated[str, Depends(get_current_user)]) -> str:
                return user
            return dependency

        def closure_guard(role: str):
            checker = get_current_user

            async def dependency(user: Annotated[str, Depends(checker)]) -> str:
                return user
            return dependency

        class Guard:
            def __call__(self, user: Annotated[str, Depends(get_current_user)]) -> str:
                return user

        def make_guard() -> Guard:
            return Guard()

        def guard_of_guard() -> Guard:
            return make_guard()
    """,
    "app/main.py": """
        from typing import Annotated
        from fastapi import APIRouter, Depends, FastAPI, Security
        from app.deps import CurrentUser, admin_only, api_key, bearer, get_current_user
        from app.deps import paginate, verify_session
        from app.factories import closure_guard, guard_of_guard, make_guard, requires_role

        app = FastAPI()
        open_router = APIRouter()
        secured = APIRouter(dependencies=[Depends(get_current_user)])

        @open_router.get("/public")
        def public(page: Annotated[int, Depends(paginate)]): ...

        @open_router.get("/me")
        def me(user: CurrentUser): ...

        @open_router.get("/scoped")
        def scoped(user=Security(get_current_user, scopes=["read"])): ...

        @open_router.get("/bearer")
        def with_bearer(credentials=Depends(bearer)): ...

        @open_router.get("/admin")
        def admin(user: Annotated[str, Depends(admin_only)]): ...

        @open_router.get("/session", dependencies=[Depends(verify_session)])
        def session(): ...

        @secured.get("/inside")
        def inside(): ...

        @open_router.get("/key")
        def key(k: str = Depends(api_key)): ...

        @open_router.get("/role", dependencies=[Depends(requires_role("admin"))])
        def role(): ...

        @open_router.get("/closure", dependencies=[Depends(closure_guard("admin"))])
        def closure(): ...

        @open_router.get("/guarded")
        def guarded(user: Annotated[str, Depends(make_guard())]): ...

        @open_router.get("/twice")
        def twice(user: Annotated[str, Depends(guard_of_guard())]): ...

        app.include_router(open_router)
        app.include_router(secured, prefix="/s")
        app.include_router(open_router, prefix="/locked", dependencies=[Depends(get_current_user)])
    """,
}


def test_authentication_through_every_kind_of_dependency(tree: Tree) -> None:
    routes = load_project(tree(AUTH_APP)).routes.routes
    auth = {route.path: route.auth_via for route in routes}
    assert auth["/public"] is None
    assert auth["/me"] == "get_current_user"
    assert auth["/scoped"] == "get_current_user"
    assert auth["/bearer"] == "bearer"
    assert auth["/admin"] == "admin_only"
    assert auth["/session"] == "verify_session"
    assert auth["/s/inside"] == "get_current_user"
    assert auth["/key"] == "api_key"
    assert auth["/locked/public"] == "get_current_user"
    assert auth["/role"] == "requires_role"
    assert auth["/closure"] is None  # FastAPI cannot see the closure's Depends: a query param
    assert auth["/guarded"] == "make_guard"
    assert auth["/twice"] == "guard_of_guard"


@pytest.mark.slow
def test_authentication_matches_behaviour(tree: Tree) -> None:
    """A route the model calls authenticated refuses an anonymous request, and vice versa."""
    root = tree(AUTH_APP)
    import subprocess
    import sys

    script = (
        "import sys, json; sys.path.insert(0, sys.argv[1]);"
        "from app.main import app; from fastapi.testclient import TestClient;"
        "c = TestClient(app); paths = json.loads(sys.argv[2]);"
        "print(json.dumps({p: c.get(p).status_code for p in paths}))"
    )
    routes = load_project(root).routes.routes
    import json

    paths = sorted({r.path for r in routes})
    completed = subprocess.run(
        [sys.executable, "-c", script, str(root), json.dumps(paths)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    statuses = json.loads(completed.stdout)
    for route in routes:
        refused = statuses[route.path] in {401, 403}
        assert refused == route.auth, route.path
