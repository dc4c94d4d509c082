"""What rules read: the loaded project, its route model and shared analyses, computed lazily."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from apismith.analysis.blocking import BlockingCalls, mapped_classes
from apismith.analysis.reach import Callers, request_functions
from apismith.analysis.taint import Hit, TaintEngine
from apismith.config import Config
from apismith.project.classes import ClassCatalog
from apismith.project.loader import LoadedProject
from apismith.project.module import Function
from apismith.project.project import Project
from apismith.project.routes import Route, RouteModel

T = TypeVar("T")


class Context:
    """Shared, lazily computed analyses of one review run."""

    def __init__(self, loaded: LoadedProject, config: Config) -> None:
        self.loaded = loaded
        self.config = config
        self._shared: dict[object, Any] = {}

    def shared(self, key: object, build: Callable[[], T]) -> T:
        """The analysis stored under ``key``, built by the first rule that asks for it; it lives
        exactly as long as this context, so a review's model is freed with it."""
        if key not in self._shared:
            self._shared[key] = build()
        found: T = self._shared[key]
        return found

    @property
    def project(self) -> Project:
        """The project being reviewed."""
        return self.loaded.project

    @property
    def classes(self) -> ClassCatalog:
        """Its pydantic and ORM classes."""
        return self.loaded.classes

    @property
    def routes(self) -> RouteModel:
        """Its apps, routers and routes."""
        return self.loaded.routes

    @cached_property
    def routes_by_handler(self) -> dict[int, list[Route]]:
        """Routes keyed by ``id`` of their handler function."""
        found: dict[int, list[Route]] = {}
        for route in self.routes.routes:
            found.setdefault(id(route.handler), []).append(route)
        return found

    def routes_of(self, function: Function) -> list[Route]:
        """The routes a function handles (empty for non-handlers)."""
        return self.routes_by_handler.get(id(function), [])

    @cached_property
    def blocking(self) -> BlockingCalls:
        """Which calls block or query the database, shared by the performance rules."""
        return BlockingCalls(self.project, mapped_classes(self.classes))

    @cached_property
    def request_functions(self) -> set[int]:
        """``id`` of every project function that runs while some request is handled."""
        return request_functions(self.routes, self.blocking)

    @cached_property
    def callers(self) -> Callers:
        """Whether some project code calls a given project function."""
        return Callers(self.blocking)

    def outside_requests(self, function: Function | None) -> bool:
        """Whether ``function`` is called by the project only from code no request runs
        (workers, schedulers, scripts): a function nobody calls may still be request code."""
        return (
            function is not None
            and bool(self.routes.routes)
            and id(function) not in self.request_functions
            and self.callers.calls(function)
        )

    @cached_property
    def taint_hits(self) -> list[Hit]:
        """Every flow of client data into a sink, computed once for all rules."""
        return TaintEngine(self.project, self.routes).run()

    def hits(self, kind: str) -> list[Hit]:
        """Taint hits of one sink kind."""
        return [hit for hit in self.taint_hits if hit.kind == kind]

    @cached_property
    def dependency_functions(self) -> set[int]:
        """``id`` of every function used as a dependency by some route."""
        found: set[int] = set()
        for route in self.routes.routes:
            for dependency in route.all_dependencies:
                for node in dependency.closure():
                    if node.function is not None:
                        found.add(id(node.function[1]))
        return found

    def declared_routes(self) -> list[Route]:
        """One route per declaration: a router included twice is still one piece of code."""
        seen: set[int] = set()
        found: list[Route] = []
        for route in self.routes.routes:
            if id(route.operation.decorator) not in seen:
                seen.add(id(route.operation.decorator))
                found.append(route)
        return found
