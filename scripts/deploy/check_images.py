#!/usr/bin/env python3
"""Holds the two Dockerfiles to what CI builds, since no container engine runs here.

  check_images.py            # every check below; exits non-zero naming each problem

- The service's builder runs exactly `cargo build --release --locked --bin switchboard`, a
  binary the workspace declares; its Rust is no older than Cargo.toml's rust-version; the
  runtime copies that binary to the ENTRYPOINT, whose default command is a subcommand of
  src/main.rs.
- The dependency layer loads: what the Dockerfile copies before its first build, plus the
  stub script it runs, is laid out in a temporary directory and `cargo metadata --locked`
  must load it with the same members as the real workspace (a new member or target that
  the Dockerfile does not know fails here, not in the image build).
- The gateway's build line is run as written (in gateway/, output to a temporary file): it
  must build the package the scripts build (scripts/tools.sh) into a static binary, since
  distroless static has no libc; its Go is no older than the go.mod files ask.
- Every path a COPY names exists and is not left out of the context by .dockerignore.
- Runtime stages: distroless, a numeric non-root USER, no HEALTHCHECK (Kubernetes probes),
  builder and runtime on the same Debian release.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, problem, report, subcommands
CARGO_BUILD = "cargo build --release --locked --bin switchboard"
# Builder image suffix -> the distroless runtime of the same Debian release.
DEBIAN_PAIRS = {"bookworm": "debian12", "trixie": "debian13"}

def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append((keyword.upper(), args.strip()))
    return out


def stages(path: Path) -> list[list[tuple[str, str]]]:
    """The instructions of each stage, each list starting with its FROM."""
    out: list[list[tuple[str, str]]] = []
    for ins in instructions(path):
        if ins[0] == "FROM":
            out.append([])
        if out:
            out[-1].append(ins)
    return out


def image(stage: list[tuple[str, str]]) -> str:
    return stage[0][1].split()[0]


def version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def copies(stage: list[tuple[str, str]]) -> list[tuple[list[str], str, bool]]:
    """(sources, destination, from another stage) of each COPY."""
    out = []
    for keyword, args in stage:
        if keyword == "COPY":
            words = shlex.split(args)
            flags = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            out.append((paths[:-1], paths[-1], any(f.startswith("--from") for f in flags)))
    return out


def exec_form(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    for kw, args in stage:
        if kw == keyword:
            return json.loads(args)
    return []


# .dockerignore, as Docker reads it: the last pattern matching the path or one of its
# parents decides; `!` includes again.
def ignored(relpath: str, patterns: list[str]) -> bool:
    parts = relpath.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").strip("/")
        regex = re.escape(pat).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, c) for c in candidates):
            verdict = not negate
    return verdict


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [l.strip() for l in lines if l.strip() and not l.strip().startswith("#")]


def check_context(name: str, stage_list: list[list[tuple[str, str]]]) -> None:
    patterns = dockerignore()
    for stage in stage_list:
        for sources, _, from_stage in copies(stage):
            if from_stage:
                continue
            for source in sources:
                if not (ROOT / source).exists():
                    problem(name, f"COPY {source}: no such path in the repository")
                elif ignored(source, patterns):
                    problem(name, f"COPY {source}: left out of the build context by .dockerignore")


def check_runtime(name: str, final: list[tuple[str, str]], builder_image: str, runtime_kind: str) -> None:
    runtime = image(final)
    if not runtime.startswith(f"gcr.io/distroless/{runtime_kind}-"):
        problem(name, f"runtime image {runtime} is not distroless {runtime_kind}")
    release = builder_image.rsplit("-", 1)[-1]
    if DEBIAN_PAIRS.get(release, "?") not in runtime:
        problem(name, f"builder {builder_image} and runtime {runtime} are not the same Debian release")
    users = [args for kw, args in final if kw == "USER"]
    if not users or not re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1]):
        problem(name, "the runtime's USER must be a numeric non-root uid (runAsNonRoot checks it)")
    if any(kw == "HEALTHCHECK" for kw, _ in final):
        problem(name, "HEALTHCHECK: Kubernetes probes do that")
    entrypoint = exec_form(final, "ENTRYPOINT")
    installed = [dest for _, dest, from_stage in copies(final) if from_stage]
    if not entrypoint or entrypoint[0] not in installed:
        problem(name, f"ENTRYPOINT {entrypoint} is not the binary the runtime stage copies ({installed})")


def host() -> str:
    rustc = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return re.search(r"^host: (\S+)", rustc, re.M).group(1)


def cargo_metadata(cwd: Path, *args: str) -> dict:
    """The workspace at `cwd`, resolved from Cargo.lock as it is (`--locked`), for this host
    only (other platforms' crates need not be downloaded)."""
    run = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--offline",
         "--filter-platform", host(), *args],
        cwd=cwd, capture_output=True, text=True,
    )
    if run.returncode != 0:
        raise RuntimeError(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "failed")
    return json.loads(run.stdout)


def members(metadata: dict) -> set[str]:
    ids = set(metadata["workspace_members"])
    return {p["name"] for p in metadata["packages"] if p["id"] in ids}


def builder_and_runtime(name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], str]:
    """The first (builder) and last (runtime) stages of a Dockerfile, its context checked,
    and the builder's image."""
    all_stages = stages(ROOT / name)
    check_context(name, all_stages)
    return all_stages[0], all_stages[-1], image(all_stages[0])


def check_service() -> None:
    name = "Dockerfile"
    build, final, builder = builder_and_runtime(name)
    cargo_toml = (ROOT / "Cargo.toml").read_text()
    wanted = re.search(r'^rust-version\s*=\s*"([^"]+)"', cargo_toml, re.M).group(1)
    if not builder.startswith("rust:") or version(builder) < version(wanted):
        problem(name, f"builder {builder} is not Rust {wanted} or newer (Cargo.toml rust-version)")
    check_runtime(name, final, builder, "cc")

    runs = [args for kw, args in build if kw == "RUN"]
    builds = [seg.strip() for run in runs for seg in run.split("&&") if "cargo build" in seg]
    if not builds or any(b != CARGO_BUILD for b in builds):
        problem(name, f"the builder must run `{CARGO_BUILD}` and no other cargo build, runs {builds}")
    real = cargo_metadata(ROOT, "--no-deps")
    root_package = next(p for p in real["packages"] if p["manifest_path"] == str(ROOT / "Cargo.toml"))
    bins = {t["name"] for t in root_package["targets"] if "bin" in t["kind"]}
    binary = CARGO_BUILD.rsplit(" ", 1)[-1]
    if binary not in bins:
        problem(name, f"--bin {binary}: the package has no such binary ({sorted(bins)})")
    workdir = next((args for kw, args in build if kw == "WORKDIR"), "/")
    built = f"{workdir.rstrip('/')}/target/release/{binary}"
    if not any(built in sources for sources, _, from_stage in copies(final) if from_stage):
        problem(name, f"the runtime stage does not copy {built}")
    entrypoint, cmd = exec_form(final, "ENTRYPOINT"), exec_form(final, "CMD")
    commands = subcommands()
    if cmd[:1] != ["serve"] or "serve" not in commands:
        problem(name, f"CMD {cmd} is not `serve`, a subcommand of src/main.rs ({sorted(commands)})")
    if not entrypoint or Path(entrypoint[0]).name != binary:
        problem(name, f"ENTRYPOINT {entrypoint} is not the {binary} binary")
    check_dependency_layer(name, build, workdir, members(real))


def check_dependency_layer(name: str, build: list[tuple[str, str]], workdir: str, real_members: set[str]) -> None:
    """Lays out what the builder has before its first cargo build, and loads it."""
    with tempfile.TemporaryDirectory() as scratch:
        stage_root = Path(scratch)
        for keyword, args in build[1:]:
            if keyword == "COPY":
                for sources, dest, _ in copies([(keyword, args)]):
                    target = stage_root / dest.lstrip("/").removeprefix(workdir.strip("/")).lstrip("/")
                    for source in sources:
                        src = ROOT / source
                        into = target / src.name if dest.endswith("/") or len(sources) > 1 else target
                        if src.is_dir():
                            shutil.copytree(src, into)
                        else:
                            into.parent.mkdir(parents=True, exist_ok=True)
                            shutil.copy2(src, into)
            elif keyword == "RUN":
                script = args.split("&&")[0].strip()
                subprocess.run(shlex.split(script), cwd=stage_root, check=True)
                break
        try:
            metadata = cargo_metadata(stage_root)
        except RuntimeError as err:
            problem(name, f"the dependency layer does not load as a workspace: {err}")
            return
        staged = members(metadata)
        ids = set(metadata["workspace_members"])
        for package in (p for p in metadata["packages"] if p["id"] in ids):
            for target in package["targets"]:
                if not Path(target["src_path"]).exists():
                    relative = Path(target["src_path"]).relative_to(stage_root)
                    problem(name, f"the dependency layer has no stub for {relative} (deploy/docker/stub-sources.sh)")
        if staged != real_members:
            problem(name, f"the dependency layer has members {sorted(staged)}, the workspace {sorted(real_members)}")


def check_gateway() -> None:
    name = "gateway/Dockerfile"
    build, final, builder = builder_and_runtime(name)
    for mod in ("gateway/go.mod", "sdk/go/go.mod"):
        wanted = re.search(r"^go (\S+)", (ROOT / mod).read_text(), re.M).group(1)
        if not builder.startswith("golang:") or version(builder) < version(wanted):
            problem(name, f"builder {builder} is not Go {wanted} or newer ({mod})")
    check_runtime(name, final, builder, "static")

    lines = [args for kw, args in build if kw == "RUN" and "go build" in args]
    if len(lines) != 1:
        problem(name, f"expected one go build line, found {len(lines)}")
        return
    words = shlex.split(lines[0])
    env = dict(w.split("=", 1) for w in words[: words.index("go")])
    command = words[words.index("go") :]
    out = command[command.index("-o") + 1]
    package = command[-1]
    tools = (ROOT / "scripts/tools.sh").read_text()
    scripted = re.search(r"go build -o \S+ (\./cmd/\S+)\)", tools)
    if not scripted or scripted.group(1) != package:
        problem(name, f"builds {package}, scripts/tools.sh builds {scripted and scripted.group(1)}")
    if env.get("CGO_ENABLED") != "0":
        problem(name, "the gateway must build with CGO_ENABLED=0 (distroless static has no libc)")
    if not any(out in sources for sources, _, from_stage in copies(final) if from_stage):
        problem(name, f"the runtime stage does not copy {out}")
    with tempfile.TemporaryDirectory() as scratch:
        binary = Path(scratch) / "switchboard-gateway"
        command[command.index("-o") + 1] = str(binary)
        run = subprocess.run(command, cwd=ROOT / "gateway", env={**os.environ, **env}, capture_output=True, text=True)
        if run.returncode != 0:
            problem(name, f"`{lines[0]}` fails: {run.stderr.strip()}")
        elif dynamic(binary):
            problem(name, "the gateway binary is dynamically linked")


def dynamic(binary: Path) -> bool:
    """Whether a 64-bit little-endian ELF file asks for an interpreter (PT_INTERP)."""
    data = binary.read_bytes()
    phoff = int.from_bytes(data[0x20:0x28], "little")
    size, count = int.from_bytes(data[0x36:0x38], "little"), int.from_bytes(data[0x38:0x3A], "little")
    return any(int.from_bytes(data[phoff + i * size : phoff + i * size + 4], "little") == 3 for i in range(count))


def main() -> int:
    check_service()
    check_gateway()
    return report("images", "both Dockerfiles build what CI builds")


if __name__ == "__main__":
    sys.exit(main())
