"""What each module's names can resolve through: the project modules it imports, transitively.

Name resolution (re-exports, types of imported values, base classes of models) only ever
consults modules reached by looking up a module's own name, its import targets and their
dotted prefixes, and then the same for every module so reached. A digest of that closure,
content and names included, changes whenever anything a file-scoped rule can see changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from apismith.project.module import Module
from apismith.project.project import Project


def closure_digests(project: Project) -> dict[str, str]:
    """For each module's relative path, a digest of it and every project module it reaches.

    The import graph has cycles (a package and its submodules), so its strongly connected
    components are hashed Merkle-style in dependency order: each component's digest covers
    its own modules and the digests of the components it imports.
    """
    modules = project.modules
    index = {id(module): position for position, module in enumerate(modules)}
    edges: list[list[int]] = []
    own: list[bytes] = []
    for module in modules:
        hits = sorted(
            {
                (name, index[id(found)])
                for name in looked_up(module)
                if (found := project.by_name.get(name)) is not None
            }
        )
        edges.append([target for _, target in hits])
        digest = hashlib.sha256(f"{module.relpath}\0{module.name}\0".encode())
        digest.update(module.source.encode("utf-8", "surrogatepass"))
        for name, target in hits:
            digest.update(f"\0{name}={modules[target].relpath}".encode())
        own.append(digest.digest())
    component_digest: dict[int, bytes] = {}
    result: dict[str, str] = {}
    for component in _components(edges):
        members = set(component)
        digest = hashlib.sha256()
        for part in sorted(own[node] for node in component):
            digest.update(part)
        successors = {
            component_digest[target]
            for node in component
            for target in edges[node]
            if target not in members
        }
        for part in sorted(successors):
            digest.update(part)
        done = digest.digest()
        for node in component:
            component_digest[node] = done
        for node in component:
            result[modules[node].relpath] = hashlib.sha256(own[node] + done).hexdigest()
    return result


def looked_up(module: Module) -> Iterator[str]:
    """Every dotted name resolution may look up from ``module``: prefixes of its own name, of
    its import targets and of its star imports."""
    for name in (module.name, *module.imports.values(), *module.star_imports):
        parts = name.split(".")
        for cut in range(1, len(parts) + 1):
            yield ".".join(parts[:cut])


def _components(edges: list[list[int]]) -> list[list[int]]:
    """Strongly connected components, each after every component it has an edge to
    (Tarjan's algorithm, iterative so that long import chains do not hit the recursion limit)."""
    count = 0
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    found: list[list[int]] = []
    for start in range(len(edges)):
        if start in order:
            continue
        work: list[tuple[int, int]] = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                order[node] = low[node] = count
                count += 1
                stack.append(node)
                on_stack.add(node)
            if position < len(edges[node]):
                work.append((node, position + 1))
                target = edges[node][position]
                if target not in order:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], order[target])
                continue
            if low[node] == order[node]:
                component: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found
