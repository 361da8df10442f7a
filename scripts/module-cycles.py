#!/usr/bin/env python3
"""Fails when the modules of a crate depend on each other in a cycle.

A module depends on another when its code names it through `crate::` (in a `use` or inline).
Modules are compared level by level: the top-level modules of a crate among themselves, then the
children of each folder module among themselves (a child naming its parent through `super::` or
`crate::` is how a sub-domain reaches shared types, and is not a cycle between siblings). Test
modules at the end of a file (`#[cfg(test)] mod tests`) are left out: a test may use what it likes.

    scripts/module-cycles.py                  # every crate under crates/
    scripts/module-cycles.py crates/ordering  # one crate

Prints each cycle as `crate: a ↔ b` and exits 1 if there is any that `scripts/module-cycles.allow`
does not list. That file names the cycles still being taken apart, one per line as printed; an
entry that no longer occurs is reported, so the list only shrinks.
"""

import re
import sys
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_of(src: Path, file: Path) -> tuple[str, ...]:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


def strip(code: str) -> str:
    """The code without comments, string and char literals and the trailing test module. One
    pass, left to right, so a `//` inside a string or a quote inside a comment is read as what it
    is; a raw string starts only where `r` is not the end of a word."""
    token = re.compile(
        r'//[^\n]*|/\*.*?\*/|(?<![A-Za-z0-9_])b?r(#*)"(?:.|\n)*?"\1|b?"(?:\\.|[^"\\])*"'
        r"|'(?:\\.|[^\\'])'",
        re.S,
    )
    code = token.sub(lambda m: "" if m.group(0).startswith("/") else '""', code)
    test = re.search(r"#\[cfg\(test\)\]\s*(pub(\([a-z]+\))?\s+)?mod\s+tests\b", code)
    return code[: test.start()] if test else code


def use_paths(tree: str) -> list[list[str]]:
    """The paths a use tree after `crate::` names: `a::{b, c::d}` → [[a, b], [a, c, d]]."""
    paths, i = [], 0

    def parse(prefix: list[str]) -> None:
        nonlocal i
        path = list(prefix)
        while i < len(tree):
            m = re.match(rf"\s*({IDENT})\s*", tree[i:])
            if m:
                path.append(m.group(1))
                i += m.end()
                if tree.startswith("::", i):
                    i += 2
                    continue
                paths.append(path)
                return
            if tree.startswith("{", i):
                i += 1
                while i < len(tree) and not tree.startswith("}", i):
                    parse(path)
                    while i < len(tree) and tree[i] in " \n\t,":
                        i += 1
                    # `as` renames and `self`/glob need no special case: the path is enough.
                    m = re.match(rf"as\s+{IDENT}\s*,?\s*", tree[i:])
                    if m:
                        i += m.end()
                    if tree.startswith("*", i):
                        i += 1
                i += 1
                paths.append(path)
                return
            if tree.startswith("*", i):
                i += 1
            paths.append(path)
            return

    parse([])
    return paths


def references(code: str) -> list[list[str]]:
    refs = []
    for m in re.finditer(r"\bcrate::", code):
        rest = code[m.end() :]
        if rest.startswith("{"):
            depth, end = 0, 0
            for end, ch in enumerate(rest):
                depth += ch == "{"
                depth -= ch == "}"
                if depth == 0:
                    break
            refs.extend(use_paths(rest[: end + 1]))
        else:
            seg = re.match(rf"{IDENT}(::{IDENT})*", rest)
            if seg:
                refs.append(seg.group(0).split("::"))
    return refs


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each as a cycle path."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def check(crate: Path) -> list[str]:
    src = crate / "src"
    files = sorted(src.rglob("*.rs"))
    modules = {module_of(src, f) for f in files}
    # Names the crate root re-exports (`pub use state::AppState;`) stand for their module.
    reexports = {}
    lib = src / "lib.rs"
    if lib.exists():
        for m in re.finditer(rf"pub use ({IDENT})::(\{{[^}}]*\}}|{IDENT})", strip(lib.read_text())):
            for name in re.findall(IDENT, m.group(2)):
                reexports[name] = m.group(1)
    found = []
    # edges[parent][a] = the siblings under `parent` that `a` (or anything in it) names.
    edges: dict[tuple[str, ...], dict[str, set[str]]] = {}
    for f in files:
        here = module_of(src, f)
        for path in references(strip(f.read_text())):
            # The longest prefix of the path that is a module.
            target = ()
            for n in range(len(path), 0, -1):
                if tuple(path[:n]) in modules:
                    target = tuple(path[:n])
                    break
            if not target and path and path[0] in reexports:
                target = (reexports[path[0]],)
            # Compare at the first level where the two modules part.
            common = 0
            while common < min(len(here), len(target)) and here[common] == target[common]:
                common += 1
            if common == len(here) or common == len(target):
                continue  # one contains the other
            parent = here[:common]
            edges.setdefault(parent, {}).setdefault(here[common], set()).add(target[common])
    for parent, graph in sorted(edges.items()):
        for comp in cycles(graph):
            where = "::".join(parent)
            found.append(f"{crate.name}{'::' + where if where else ''}: {' ↔ '.join(comp)}")
    return found


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    crates = [Path(a) for a in sys.argv[1:]] or sorted(p.parent for p in root.glob("crates/*/Cargo.toml"))
    found = [line for crate in crates for line in check(crate)]
    allow_file = root / "scripts" / "module-cycles.allow"
    allowed = set()
    if allow_file.exists():
        allowed = {
            line.strip()
            for line in allow_file.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
    new = [line for line in found if line not in allowed]
    for line in found:
        print(f"module cycle: {line}{' (allowed)' if line in allowed else ''}")
    for line in sorted(allowed - set(found)):
        print(f"no longer a cycle, remove it from {allow_file.name}: {line}")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
