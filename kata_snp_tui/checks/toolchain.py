"""Toolchain: what the guide's build steps need (these checks never change ``ready``).

Tools are asked for their version through the probe commands in ``probes.py``; a snapshot
replays what was recorded. yq must be mikefarah's 3.4.1: Kata 3.2's ``lib.sh`` runs
``yq read -X`` (v3 syntax) and the kernel README pins 3.4.1.
"""

from __future__ import annotations

import re

from kata_snp_tui.checks.facts import Facts, show
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.remedies import apt
from kata_snp_tui.checks.runner import CheckSpec, Outcome, failed, passed, warned
from kata_snp_tui.host import CommandResult

GROUP = "Toolchain"

GIB = 1024**3
#: Free disk in the workspace. Estimated needs of the guide's builds (reference/kata-upstream.md 3.6,
#: our estimate): kernel source and objects ~5 GB, QEMU full clone and --enable-debug build ~3 GB,
#: OVMF builder image, edk2 with submodules and build ~5 GB, rust toolchain and agent target ~5 GB,
#: Go module cache and runtime ~2 GB, rootfs/initrd with the Docker builder image ~4 GB: ~24 GB.
#: Below DISK_FAIL the builds cannot finish; below DISK_WARN they leave no room for a second try.
DISK_FAIL = 25 * GIB
DISK_WARN = 50 * GIB
#: Memory: the kernel and rust agent builds run ``make -j $(nproc)``; under 8 GiB they swap or get OOM-killed.
MEM_WARN = 8 * GIB
#: Cores: the builds take hours on fewer than four.
CORES_WARN = 4

YQ_WANTED = "3.4.1"
YQ_MIKEFARAH = re.compile(r"^yq (?:\(https://github\.com/mikefarah/yq/?\) )?version v?(\d+\.\d+\.\d+)")
YQ_PYTHON = re.compile(r"^yq (\d+\.\d+\.\d+)\s*$")

YQ_INSTALL = f"""\
Install mikefarah's yq {YQ_WANTED} (what Kata 3.2's lib.sh and the kernel README expect):
  sudo curl -fsSL -o /usr/local/bin/yq https://github.com/mikefarah/yq/releases/download/{YQ_WANTED}/yq_linux_amd64
  sudo chmod +x /usr/local/bin/yq
  hash -r && yq --version      (must print: yq version {YQ_WANTED})
If another yq comes first on PATH (Debian's python3-yq, a v4 snap), remove it: sudo apt-get remove -y yq"""

GO_INSTALL = """\
Install Go from https://go.dev/dl/ (the version Kata 3.2 was tested with is languages.golang.version in
kata-containers/versions.yaml: yq read versions.yaml languages.golang.version), for example:
  curl -fsSLO https://go.dev/dl/go<VERSION>.linux-amd64.tar.gz
  sudo rm -rf /usr/local/go && sudo tar -C /usr/local -xzf go<VERSION>.linux-amd64.tar.gz
  export PATH=$PATH:/usr/local/go/bin      (add it to ~/.profile too)"""

RUSTUP_INSTALL = """\
Install rustup (the agent is built with rust and the x86_64-unknown-linux-musl target):
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh
  source "$HOME/.cargo/env"
  rustup target add x86_64-unknown-linux-musl"""

DOCKER_INSTALL = "sudo apt-get install -y docker.io   (or Docker CE: https://docs.docker.com/engine/install/)"


def first_line(result: CommandResult) -> str:
    return next((ln.strip() for ln in result.text.splitlines() if ln.strip()), "")


def command_evidence(result: CommandResult) -> Evidence:
    argv = " ".join(result.argv)
    if not result.found:
        return Evidence(argv, "not found on PATH")
    if result.returncode is None:
        return Evidence(argv, result.error or "did not finish")
    line = show(first_line(result), 120) or "(no output)"
    status = "" if result.ok else f" (exit status {result.returncode})"
    return Evidence(argv, line + status)


def _tool(key: str, packages: tuple[str, ...], fedora: tuple[str, ...] = (), why: str = "") -> CheckSpec:
    def check(f: Facts) -> Outcome:
        result = f.command(key)
        ev = command_evidence(result)
        if not result.found:
            return failed(f"{key} is not installed{why}.", ev, remedy=apt(*packages, fedora=fedora))
        if not result.ok:
            return warned(f"{key} is installed but '{' '.join(result.argv)}' failed.", ev,
                          remedy=f"Run it yourself to see why: {' '.join(result.argv)}")
        return passed(f"{show(first_line(result), 80)}.", ev)

    return CheckSpec(f"tool.{key}", GROUP, key, check)


LIBELF_HEADERS = ("/usr/include/libelf.h", "/usr/include/gelf.h")


def tool_libelf(f: Facts) -> Outcome:
    for path in LIBELF_HEADERS:
        if f.host.exists(path):
            return passed("libelf headers are installed (the kernel build needs them).", Evidence(path, "exists"))
    return failed("libelf headers are missing: the guest kernel build needs them.",
                  *(Evidence(p, "absent") for p in LIBELF_HEADERS),
                  remedy=apt("libelf-dev", fedora=("elfutils-libelf-devel",)))


GO_FALLBACK = "/usr/local/go/bin/go"


def tool_go(f: Facts) -> Outcome:
    result = f.command("go")
    ev = command_evidence(result)
    if result.ok:
        return passed(f"{first_line(result)}.", ev)
    if not result.found:
        if f.host.exists(GO_FALLBACK):
            return warned(f"Go is installed in {GO_FALLBACK} but not on PATH.", ev, Evidence(GO_FALLBACK, "exists"),
                          remedy="export PATH=$PATH:/usr/local/go/bin      (add it to ~/.profile too)")
        return failed("Go is not installed: the runtime (kata-runtime, the shim) is written in Go.", ev,
                      remedy=GO_INSTALL)
    return warned("'go version' failed.", ev, remedy="go version")


def tool_rustup(f: Facts) -> Outcome:
    result = f.command("rustup")
    ev = command_evidence(result)
    if not result.found:
        return failed("rustup is not installed: the agent is built with rust.", ev, remedy=RUSTUP_INSTALL)
    if not result.ok:
        return warned("'rustup --version' failed.", ev, remedy="rustup --version")
    targets = f.command("rustup-targets")
    tev = command_evidence(targets)
    if targets.ok and "x86_64-unknown-linux-musl" in targets.text.split():
        return passed(f"{first_line(result)}, with the x86_64-unknown-linux-musl target.", ev, tev)
    return warned(f"{first_line(result)}, but the x86_64-unknown-linux-musl target the agent needs is not "
                  "installed.", ev, tev, remedy="rustup target add x86_64-unknown-linux-musl")


def tool_docker(f: Facts) -> Outcome:
    result = f.command("docker")
    ev = command_evidence(result)
    if not result.found:
        return failed("Docker is not installed: the OVMF and rootfs/initrd builds run in containers.", ev,
                      remedy=DOCKER_INSTALL)
    if not result.ok:
        return warned("'docker --version' failed.", ev, remedy="docker --version")
    return passed(f"{first_line(result)}.", ev)


def tool_docker_daemon(f: Facts) -> Outcome:
    result = f.command("docker-info")
    ev = command_evidence(result)
    text = result.text
    if result.ok and first_line(result):
        version, _, runtime = first_line(result).partition(" ")
        if runtime and runtime != "runc":
            return warned(f"Docker daemon {version} is running, but its default runtime is {runtime}: the guide's "
                          "USE_DOCKER=true rootfs build needs runc.", ev,
                          remedy="Set \"default-runtime\": \"runc\" in /etc/docker/daemon.json, then: "
                                 "sudo systemctl restart docker")
        return passed(f"The Docker daemon {version} answers (default runtime {runtime or 'unknown'}).", ev)
    if "permission denied" in text.lower():
        return warned("The Docker daemon runs, but this user may not use it (the guide's scripts call docker "
                      "through sudo, which works).", ev,
                      remedy='sudo usermod -aG docker "$USER"   (then log in again), or keep using sudo docker')
    return failed("The Docker daemon is not running (or not reachable).", ev,
                  remedy="sudo systemctl enable --now docker\nsudo docker info")


#: The yq v4 that current Kata pins (ci/install_yq.sh, kata-upstream.md section 3.2).
YQ_V4_WANTED = "v4.44.5"

YQ_V4_INSTALL = f"""\
Install mikefarah's yq v4 (what Kata 3.6 and later's lib.sh expect; ci/install_yq.sh pins {YQ_V4_WANTED}):
  sudo curl -fsSL -o /usr/local/bin/yq https://github.com/mikefarah/yq/releases/download/{YQ_V4_WANTED}/yq_linux_amd64
  sudo chmod +x /usr/local/bin/yq
  hash -r && yq --version      (must print: yq (https://github.com/mikefarah/yq/) version {YQ_V4_WANTED})
If another yq comes first on PATH (Debian's python3-yq, an old v3), remove it: sudo apt-get remove -y yq"""


def _yq_wanted(f: Facts) -> tuple[int, str, str]:
    """(major, who wants it, install remedy): the chosen profile's yq, else the guide's 3.4.1."""
    choice = getattr(f, "profile_choice", None)
    profile = getattr(choice, "profile", None)
    major = getattr(profile, "yq_major", 3)
    who = f"Kata {profile.kata_version}" if profile is not None else "Kata 3.2"
    return (4, who, YQ_V4_INSTALL) if major == 4 else (3, who, YQ_INSTALL)


def tool_yq(f: Facts) -> Outcome:
    result = f.command("yq")
    ev = command_evidence(result)
    major, who, remedy = _yq_wanted(f)
    wanted = YQ_WANTED if major == 3 else "v4"
    if not result.found:
        return failed(f"yq is not installed: the guide's get_from_kata_deps needs mikefarah's yq {wanted}.", ev,
                      remedy=remedy)
    line = first_line(result)
    m = YQ_MIKEFARAH.match(line)
    if m:
        version = m.group(1)
        if major == 4:
            if version.startswith("4."):
                return passed(f"mikefarah's yq {version}, as {who} expects (v4).", ev)
            return failed(f"yq {version} is not v4: {who}'s lib.sh uses v4 syntax (yq '.assets...') and gets "
                          "nothing back from it (see profile.yq).", ev, remedy=remedy)
        if version == YQ_WANTED:
            return passed(f"mikefarah's yq {version}, as {who} expects.", ev)
        if version.startswith("4."):
            return failed(f"yq {version} is v4: {who}'s lib.sh uses v3 syntax (yq read -X) and fails with it.",
                          ev, remedy=remedy)
        return failed(f"mikefarah's yq {version}, but {who} pins {YQ_WANTED}.", ev, remedy=remedy)
    if YQ_PYTHON.match(line):
        return failed("This yq is the Python jq wrapper (python3-yq), not mikefarah's: 'yq read -X' fails with "
                      "'jq: Unknown option -X'.", ev, remedy=remedy)
    return failed(f"Unrecognised yq ({show(line, 60) or 'no output'}): {who} needs mikefarah's yq {wanted}.", ev,
                  remedy=remedy)


def _gib(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


def disk_free(f: Facts) -> tuple[str, int] | None:
    """(path the figure is for, free bytes) for the workspace: its own figure, else the deepest recorded parent."""
    disk = f.resources.disk_free
    ws = str(f.workspace)
    if ws in disk:
        return ws, disk[ws]
    parents = [p for p in disk if ws == p or ws.startswith(p.rstrip("/") + "/")]
    if parents:
        best = max(parents, key=len)
        return best, disk[best]
    return None


def build_disk(f: Facts) -> Outcome:
    found = disk_free(f)
    if found is None:
        return warned(f"Free disk for the workspace {f.workspace} is unknown.",
                      Evidence("disk free", "not measured for this path"), remedy=f"df -h {f.workspace}")
    path, free = found
    ev = Evidence(f"disk free ({path})", _gib(free))
    advice = (f"Free space on the file system that holds {f.workspace}, or choose a workspace on a larger disk "
              "(KATA_SNP_TUI_WORKSPACE=/big/disk/kata-snp-workspace). Docker images go to /var/lib/docker: "
              "docker system prune removes unused ones.")
    if free < DISK_FAIL:
        return failed(f"Only {_gib(free)} free for the workspace; the guide's builds need about 25 GiB.", ev,
                      remedy=advice)
    if free < DISK_WARN:
        return warned(f"{_gib(free)} free for the workspace: enough for one build (~25 GiB), tight for a rebuild.",
                      ev, remedy=advice)
    return passed(f"{_gib(free)} free for the workspace (the builds need about 25 GiB).", ev)


def build_memory(f: Facts) -> Outcome:
    total = f.resources.mem_total
    if total is None:
        return warned("Total memory is unknown.", Evidence("memory", "not measured"), remedy="free -h")
    ev = Evidence("memory total", _gib(total))
    if total < MEM_WARN:
        return warned(f"{_gib(total)} of memory: the kernel and agent builds may run out; build with fewer jobs.",
                      ev, remedy="Add swap or memory, or build with fewer parallel jobs (make -j2).")
    return passed(f"{_gib(total)} of memory.", ev)


def build_cores(f: Facts) -> Outcome:
    cores = f.resources.cpu_count
    if cores is None:
        return warned("The number of CPUs is unknown.", Evidence("logical CPUs", "not measured"), remedy="nproc")
    ev = Evidence("logical CPUs", str(cores))
    if cores < CORES_WARN:
        return warned(f"{cores} logical CPUs: the builds will be slow (hours).", ev,
                      remedy="Nothing to fix; expect long builds, or build on a larger host.")
    return passed(f"{cores} logical CPUs.", ev)


SPECS = (
    _tool("git", ("git",)),
    _tool("make", ("make",)),
    _tool("gcc", ("gcc",)),
    _tool("flex", ("flex",), why=": the guest kernel build needs it"),
    _tool("bison", ("bison",), why=": the guest kernel build needs it"),
    CheckSpec("tool.libelf", GROUP, "libelf headers", tool_libelf),
    CheckSpec("tool.go", GROUP, "Go", tool_go),
    CheckSpec("tool.rustup", GROUP, "rustup and the musl target", tool_rustup),
    CheckSpec("tool.docker", GROUP, "Docker client", tool_docker),
    CheckSpec("tool.docker-daemon", GROUP, "Docker daemon", tool_docker_daemon, parent="tool.docker"),
    CheckSpec("tool.yq", GROUP, "yq (mikefarah, the profile's version)", tool_yq),
    CheckSpec("build.disk", GROUP, "Free disk in the workspace", build_disk),
    CheckSpec("build.memory", GROUP, "Memory", build_memory),
    CheckSpec("build.cores", GROUP, "CPU cores", build_cores),
)

#: The probe keys these checks ask for (all listed in probes.PROBE_COMMANDS).
PROBES = ("git", "make", "gcc", "flex", "bison", "go", "rustup", "rustup-targets", "docker", "docker-info", "yq")
