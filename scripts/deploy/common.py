"""What the deployment checks share: the repository root, the problems found, and the
service's subcommands."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

problems: list[str] = []


def problem(where: str, what: str) -> None:
    problems.append(f"{where}: {what}")


def report(check: str, success: str) -> int:
    """Prints the problems (or `success`); the exit status."""
    for line in problems:
        print(f"{check}: {line}", file=sys.stderr)
    if not problems:
        print(f"{check}: {success}")
    return 1 if problems else 0


def subcommands() -> set[str]:
    """`switchboard`'s subcommands, from src/main.rs, in clap's kebab-case (RotateKeys is
    rotate-keys)."""
    text = (ROOT / "src/main.rs").read_text()
    body = text[text.index("enum Command") :]
    body = body[: body.index("\n}")]
    variants = re.findall(r"^    ([A-Z]\w*)", body, re.M)
    return {re.sub(r"(?<!^)([A-Z])", r"-\1", v).lower() for v in variants}
