#!/usr/bin/env python3
"""Prints the module graph of src/ and checks that its layers run one way.

An edge A -> B is any `crate::b...` path (including each branch of a
`use crate::{a::x, b::{y}}` group) or a `super::` path that, once resolved, lands
in another module. Checked:
  * the top-level modules obey RULES (each module may use only those listed);
  * there are no cycles among the top-level modules, nor among the files (and
    sub-directories) of any one directory (a directory's mod.rs is their parent
    and is left out: children naturally use what it defines).
Prints the graph, then `layers: ok`, or the offending edges and exits 1.
Python 3.11 standard library only.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

# Leaves: used by anyone, use (almost) nothing.
LEAVES = {"config", "crypto", "deadline", "metrics", "telemetry", "proto"}
# What each top-level module may use. Transport (api, http, startup, main) may use
# anything below it; `delivery` and `webhooks` are engines beside `core`: none of the
# three uses another.
BELOW_CORE = {"store", "slack", "domain"} | LEAVES
RULES: dict[str, set[str]] = {
    "main": {"startup", "config", "store", "telemetry"},
    "startup": {"api", "http", "core", "delivery", "webhooks"} | BELOW_CORE,
    "api": {"core"} | BELOW_CORE,
    "http": {"core"} | BELOW_CORE,
    "core": BELOW_CORE,
    "delivery": BELOW_CORE,
    # The webhook engine, like delivery: beside core, started by startup.
    "webhooks": BELOW_CORE,
    "store": {"domain"} | LEAVES,
    "slack": {"domain"} | LEAVES,
    "domain": set(),
    "config": {"domain"},
    "crypto": set(),
    # Cross-cutting leaves below transport: they may read the generated descriptors.
    "deadline": {"config", "domain", "proto"},
    "metrics": {"config", "domain", "proto"},
    "telemetry": {"config", "domain", "proto"},
    "proto": set(),
}

# Directories whose inner cycles are not checked (none: keep it that way).
UNCHECKED_DIRS: set[tuple[str, ...]] = set()

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text: str) -> str:
    """Blanks comments and string/char literals (keeping newlines) so paths in them
    do not count."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    out.append("\n" if text[i] == "\n" else "")
                    i += 1
        elif m := re.match(r'r(#*)"', text[i:i + 20]) if c == "r" and (
            i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
        ) else None:
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and (m := re.match(r"'(\\.|[^\\'])'", text[i:i + 12])):
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def group_branches(text: str, start: int) -> list[list[str]]:
    """The paths inside the `{...}` group opening at `start` (nested groups flattened)."""
    depth, j = 0, start
    while j < len(text):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            break
        j += 1
    body = text[start + 1:j]
    branches, depth, cur = [], 0, ""
    for ch in body + ",":
        if ch == "," and depth == 0:
            branches.append(cur.strip())
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    paths: list[list[str]] = []
    for branch in filter(None, branches):
        head = re.match(rf"((?:{IDENT}\s*::\s*)*)(\{{|{IDENT}|\*)", branch)
        if not head:
            continue
        prefix = [p for p in re.split(r"\s*::\s*", head.group(1)) if p]
        if head.group(2) == "{":
            for sub in group_branches(branch, head.start(2)):
                paths.append(prefix + sub)
        else:
            paths.append(prefix + [head.group(2)])
    return paths


def module_of(path: Path) -> list[str]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib"):
        parts.pop()
    return parts


def references(path: Path) -> list[list[str]]:
    """Absolute module paths (from the crate root) that this file refers to."""
    text = strip_comments_and_strings(path.read_text())
    here = module_of(path)
    crate_word = "switchboard" if here == ["main"] else "crate"
    # Inline modules (`mod tests { ... }`) change what `super` means.
    inline: list[tuple[str, int]] = []
    depth = 0
    found: list[list[str]] = []
    token = re.compile(
        rf"(?<![A-Za-z0-9_$])(mod\s+({IDENT})\s*\{{|((?:super\s*::\s*)+|{crate_word}\s*::\s*)|\{{|\}})"
    )
    for m in token.finditer(text):
        if m.group(2):
            depth += 1
            inline.append((m.group(2), depth))
        elif m.group(3):
            lead = m.group(3)
            if lead.startswith(crate_word):
                base: list[str] = []
            else:
                base = here + [name for name, _ in inline]
                base = base[: len(base) - lead.count("super")]
            rest = text[m.end():]
            g = re.match(rf"\s*(\{{|{IDENT}(?:\s*::\s*{IDENT})*)", rest)
            if not g:
                continue
            if g.group(1) == "{":
                for p in group_branches(text, m.end() + g.start(1)):
                    found.append(base + p)
            else:
                found.append(base + re.split(r"\s*::\s*", g.group(1)))
        elif m.group(0) == "{":
            depth += 1
        else:
            if inline and inline[-1][1] == depth:
                inline.pop()
            depth -= 1
    return found


def graphs() -> dict[tuple[str, ...], dict[str, set[str]]]:
    """For each directory (as a module path), the edges among its children."""
    files = sorted(SRC.rglob("*.rs"))
    children: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for f in files:
        mod = module_of(f)
        for k in range(len(mod)):
            children[tuple(mod[:k])].add(mod[k])
    edges: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for f in files:
        src = module_of(f)
        for ref in references(f):
            # The deepest directory both lie under decides which graph the edge is in.
            k = 0
            while k < min(len(src), len(ref)) and src[k] == ref[k]:
                k += 1
            if k >= len(src) or k >= len(ref):
                continue  # within itself, or a parent's item
            d = tuple(src[:k])
            if ref[k] in children[d]:
                edges[d][src[k]].add(ref[k])
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    nodes = set(edges) | {b for bs in edges.values() for b in bs}

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
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

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    all_edges = graphs()
    top = all_edges.get((), {})
    print("top-level module graph of src/:")
    for a in sorted(top):
        print(f"  {a} -> {', '.join(sorted(top[a]))}")
    problems: list[str] = []
    for a in sorted(top):
        allowed = RULES.get(a)
        if allowed is None:
            problems.append(f"{a}: no rule for this top-level module (add it to RULES)")
            continue
        for b in sorted(top[a] - allowed):
            problems.append(f"{a} -> {b}: not allowed by the layer rule")
    for d, edges in sorted(all_edges.items()):
        if d in UNCHECKED_DIRS:
            continue
        where = "src/" + "/".join(d) if d else "src/ (top level)"
        for comp in cycles(edges):
            inner = [f"{a} -> {b}" for a in comp for b in sorted(edges.get(a, ())) if b in comp]
            problems.append(f"cycle in {where}: {'; '.join(inner)}")
    if problems:
        print("layers: FAILED")
        for p in problems:
            print(f"  {p}")
        return 1
    print("layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
