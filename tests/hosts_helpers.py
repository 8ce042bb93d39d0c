"""Build host snapshots for tests: a healthy SNP host by default, changed one fact at a time.

    from hosts_helpers import HostBuilder, open_snapshot

    path = HostBuilder(tmp_path).kernel("6.8.0-45-generic").kvm_amd(sev_snp=None).build()
    report = run_checks(open_snapshot(path))

The default host is an AMD EPYC 9354P (Genoa) on an upstream 6.11 SNP host kernel, booted in UEFI
mode, cgroups v1 (hybrid), kvm_amd ``sev``/``sev_es``/``sev_snp`` = ``Y``, ``/dev/sev`` and
``/dev/kvm`` present, a kernel log with the RMP, AMD-Vi, ccp (``SEV API:1.55 build:21``,
``SEV-SNP API:1.55 build:21``) and kvm_amd lines, no SEV ioctl status (a non-root user), the
toolchain installed (mikefarah yq 3.4.1) and Kata not built yet. ``build()`` writes the snapshot
format of DESIGN.md (``snapshot.json``, ``fs/``, ``commands/``) and returns its directory.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from kata_snp_tui.host import SNAPSHOT_FORMAT, SNAPSHOT_VERSION, SnapshotHost, _safe_key
from kata_snp_tui.probes import command_argv

GIB = 1024**3

GENOA_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht "
    "syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good amd_lbr_v2 nopl nonstop_tsc cpuid "
    "extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt "
    "aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch "
    "osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 "
    "hw_pstate ssbd mba perfmon_v2 ibrs ibpb stibp ibrs_enhanced vmmcall fsgsbase bmi1 avx2 smep bmi2 erms "
    "invpcid cqm rdt_a avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw "
    "avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local user_shstk "
    "avx512_bf16 clzero irperf xsaveerptr rdpru wbnoinvd amd_ppin cppc arat npt lbrv svm_lock nrip_save "
    "tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold avic v_vmsave_vmload vgif x2avic "
    "v_spec_ctrl vnmi avx512vbmi umip pku ospke avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg "
    "avx512_vpopcntdq la57 rdpid overflow_recov succor smca fsrm flush_l1d debug_swap sme sev sev_es sev_snp"
)
INTEL_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 "
    "ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology "
    "nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr "
    "pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm "
    "3dnowprefetch cpuid_fault epb cat_l3 cat_l2 cdp_l3 intel_ppin cdp_l2 ssbd mba ibrs ibpb stibp "
    "ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms "
    "invpcid cqm rdt_a avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb intel_pt avx512cd sha_ni "
    "avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves tdx_host_platform"
)


def cpuinfo_text(vendor: str, model_name: str, family: int, model: int, flags: str, processors: int) -> str:
    blocks = []
    for n in range(processors):
        blocks.append(
            f"processor\t: {n}\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\n"
            f"model name\t: {model_name}\nstepping\t: 1\nmicrocode\t: 0xa101148\ncpu MHz\t\t: 3250.000\n"
            f"cache size\t: 1024 KB\nphysical id\t: 0\nsiblings\t: {processors}\ncore id\t\t: {n}\n"
            f"cpu cores\t: {processors}\napicid\t\t: {n}\ninitial apicid\t: {n}\nfpu\t\t: yes\n"
            f"fpu_exception\t: yes\ncpuid level\t: 16\nwp\t\t: yes\nflags\t\t: {flags}\n"
            "bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso\nbogomips\t: 6490.31\n"
            "TLB size\t: 3584 4K pages\nclflush size\t: 64\ncache_alignment\t: 64\n"
            "address sizes\t: 52 bits physical, 57 bits virtual\npower management: ts ttp tm hwpstate cpb "
            "eff_freq_ro [13] [14]\n"
        )
    return "\n".join(blocks)


#: The kernel-log lines of a healthy upstream 6.11 SNP host (wording of 6.11 mainline).
DMESG_611_HEALTHY = """\
[    0.000000] Linux version 6.11.0-snp-host-f2ab1d7c5e90 (builder@genoa) (gcc (Ubuntu 13.2.0-23ubuntu4) 13.2.0) #1 SMP PREEMPT_DYNAMIC
[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.11.0-snp-host-f2ab1d7c5e90 root=UUID=0b3f1c2d ro iommu=nopt
[    0.000000] SEV-SNP: RMP table physical range [0x000000403fe00000 - 0x000000407fe03fff]
[    0.004794] SEV-SNP: Reserving start/end of RMP table on a 2MB boundary [0x000000407fe00000]
[    1.203117] AMD-Vi: Using global IVHD EFR:0x246577efa2254afa, EFR2:0x0
[    1.517940] iommu: Default domain type: Translated
[    2.412553] AMD-Vi: Extended features (0x246577efa2254afa, 0x0): PPR NX GT [5] IA GA PC GA_vAPIC SNP
[    2.412570] AMD-Vi: Interrupt remapping enabled
[    2.412571] AMD-Vi: Virtual APIC enabled
[    2.414380] AMD-Vi: IOMMU SNP support enabled.
[    6.813264] ccp 0000:01:00.5: sev enabled
[    6.813271] ccp 0000:01:00.5: psp enabled
[    7.214950] ccp 0000:01:00.5: SEV API:1.55 build:21
[    7.215307] ccp 0000:01:00.5: SEV-SNP API:1.55 build:21
[    7.461832] kvm_amd: TSC scaling supported
[    7.461834] kvm_amd: Nested Virtualization enabled
[    7.461835] kvm_amd: Nested Paging enabled
[    7.461836] kvm_amd: LBR virtualization supported
[    7.461855] kvm_amd: SEV enabled (ASIDs 510 - 1006)
[    7.461856] kvm_amd: SEV-ES enabled (ASIDs 1 - 509)
[    7.461857] kvm_amd: SEV-SNP enabled (ASIDs 1 - 509)
[    7.461874] kvm_amd: Virtual VMLOAD VMSAVE supported
[    7.461875] kvm_amd: Virtual GIF supported
[    7.461876] kvm_amd: Virtual NMI enabled
"""

#: The same host on AMD's out-of-tree 5.19 SNP kernel (the guide's sev-snp-iommu-avic_5.19-rc6_v3), old wording.
DMESG_519_HEALTHY = """\
[    0.000000] Linux version 5.19.0-rc6-snp-host-3a885471cf89 (builder@milan) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0) #1 SMP
[    0.000000] SEV-SNP: RMP table physical address 0x0000000035600000 - 0x0000000075bfffff
[    2.412570] AMD-Vi: Interrupt remapping enabled
[    2.414380] AMD-Vi: IOMMU SNP support enabled.
[    6.813264] ccp 0000:23:00.1: sev enabled
[    6.813271] ccp 0000:23:00.1: psp enabled
[    7.214950] ccp 0000:23:00.1: SEV API:1.51 build:3
[    7.215307] ccp 0000:23:00.1: SEV-SNP API:1.51 build:3
[    7.461855] SEV supported: 410 ASIDs
[    7.461856] SEV-ES and SEV-SNP supported: 99 ASIDs
"""

MOUNTS_HYBRID = """\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755,inode64 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0
"""
MOUNTS_V2 = """\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
"""
MOUNTS_V1 = """\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0
"""

DMESG_DENIED = "dmesg: read kernel buffer failed: Operation not permitted\n"

TOOLCHAIN_OUTPUT: dict[str, str] = {
    "git": "git version 2.43.0\n",
    "make": "GNU Make 4.3\nBuilt for x86_64-pc-linux-gnu\n",
    "gcc": "gcc (Ubuntu 13.2.0-23ubuntu4) 13.2.0\n",
    "flex": "flex 2.6.4\n",
    "bison": "bison (GNU Bison) 3.8.2\n",
    "go": "go version go1.20.14 linux/amd64\n",
    "rustup": "rustup 1.27.1 (54dd3d00f 2024-04-24)\n",
    "rustup-targets": "x86_64-unknown-linux-gnu\nx86_64-unknown-linux-musl\n",
    "cargo": "cargo 1.69.0 (6e9a83356 2023-04-12)\n",
    "docker": "Docker version 24.0.7, build 24.0.7-0ubuntu4.1\n",
    "docker-info": "24.0.7 runc\n",
    "yq": "yq version 3.4.1\n",
    "sudo": "",
}

_counter = itertools.count(1)


class HostBuilder:
    """A snapshot directory of a host, healthy unless told otherwise. Every setter returns the builder."""

    def __init__(self, base: Path, label: str = "test host") -> None:
        self.base = Path(base)
        self.label = label
        self.files: dict[str, bytes] = {}
        self.dirs: set[str] = set()
        self.unreadable: dict[str, str] = {}
        self.commands: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, bytes] = {}
        self.devices: dict[str, str] = {}
        self.status: dict[str, Any] | None = None
        self.res: dict[str, Any] = {}
        self.extra_manifest: dict[str, Any] = {}
        # the healthy default
        self.amd_genoa()
        self.kernel("6.11.0-snp-host-f2ab1d7c5e90")
        self.cmdline("BOOT_IMAGE=/boot/vmlinuz-6.11.0-snp-host-f2ab1d7c5e90 root=UUID=0b3f1c2d ro iommu=nopt")
        self.kvm_amd(sev="Y", sev_es="Y", sev_snp="Y")
        self.dmesg(DMESG_611_HEALTHY)
        self.efi(True)
        self.cgroups("hybrid")
        self.device("/dev/sev").device("/dev/kvm")
        self.directory("/sys/class/iommu/ivhd0")
        self.file("/sys/kernel/iommu_groups/0/type", "DMA-FQ\n")
        self.file("/proc/sys/kernel/dmesg_restrict", "1\n")
        self.file("/etc/os-release", 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\n')
        self.file("/usr/include/libelf.h", "/* libelf */\n")
        self.directory("/etc/modprobe.d")
        for key, out in TOOLCHAIN_OUTPUT.items():
            self.command(key, out)
        for key in ("journalctl-k", "containerd", "ctr", "kata-runtime", "qemu-system-x86_64"):
            self.missing_command(key)
        self.resources(cpu_count=64, mem_total=256 * GIB, mem_available=240 * GIB,
                       disk_free={"/": 700 * GIB, "/tmp": 700 * GIB})

    # ------------------------------------------------------------------ raw facts
    def file(self, path: str, content: str | bytes) -> HostBuilder:
        self.files[path] = content.encode() if isinstance(content, str) else content
        self.unreadable.pop(path, None)
        return self

    def remove(self, path: str) -> HostBuilder:
        """Make ``path`` (and anything below it) absent."""
        for p in [p for p in self.files if p == path or p.startswith(path.rstrip("/") + "/")]:
            del self.files[p]
        self.dirs = {d for d in self.dirs if not (d == path or d.startswith(path.rstrip("/") + "/"))}
        self.unreadable.pop(path, None)
        return self

    def directory(self, path: str) -> HostBuilder:
        self.dirs.add(path)
        return self

    def unreadable_file(self, path: str, reason: str = "permission denied") -> HostBuilder:
        self.files.pop(path, None)
        self.unreadable[path] = reason
        return self

    def command(self, key: str, output: str | bytes = "", returncode: int | None = 0,
                error: str | None = None, argv: list[str] | None = None) -> HostBuilder:
        try:
            default = list(command_argv(key))
        except KeyError:
            default = [key]
        entry: dict[str, Any] = {"argv": argv or default, "returncode": returncode}
        if error is not None:
            entry["error"] = error
        self.commands[key] = entry
        self.outputs[key] = output.encode() if isinstance(output, str) else output
        return self

    def missing_command(self, key: str) -> HostBuilder:
        return self.command(key, "", returncode=None, error="not found")

    def device(self, path: str, kind: str = "char") -> HostBuilder:
        self.devices[path] = kind
        return self

    def no_device(self, path: str) -> HostBuilder:
        self.devices.pop(path, None)
        return self

    def sev_status(self, status: dict[str, Any] | None) -> HostBuilder:
        self.status = status
        return self

    def resources(self, **values: Any) -> HostBuilder:
        self.res.update(values)
        return self

    # -------------------------------------------------------------- named facts
    def amd_genoa(self, processors: int = 8, flags: str = GENOA_FLAGS) -> HostBuilder:
        return self.cpuinfo(cpuinfo_text("AuthenticAMD", "AMD EPYC 9354P 32-Core Processor", 25, 17, flags,
                                         processors))

    def intel(self) -> HostBuilder:
        return self.cpuinfo(cpuinfo_text("GenuineIntel", "Intel(R) Xeon(R) Gold 6438Y+", 6, 143, INTEL_FLAGS, 8))

    def cpuinfo(self, text: str | bytes) -> HostBuilder:
        return self.file("/proc/cpuinfo", text)

    def flags(self, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> HostBuilder:
        words = [w for w in GENOA_FLAGS.split() if w not in remove] + list(add)
        return self.amd_genoa(flags=" ".join(words))

    def kernel(self, release: str) -> HostBuilder:
        return self.file("/proc/sys/kernel/osrelease", release + "\n")

    def cmdline(self, text: str) -> HostBuilder:
        return self.file("/proc/cmdline", text + "\n")

    def kvm_amd(self, loaded: bool = True, **params: str | bytes | None) -> HostBuilder:
        """kvm_amd loaded (or not) with parameter values; a value of None makes that parameter absent."""
        if not loaded:
            return self.remove("/sys/module/kvm_amd")
        self.directory("/sys/module/kvm_amd/parameters")
        for name, value in params.items():
            path = f"/sys/module/kvm_amd/parameters/{name}"
            if value is None:
                self.remove(path)
            else:
                self.file(path, value if isinstance(value, bytes) else value + "\n")
        return self

    def dmesg(self, text: str | bytes, returncode: int = 0) -> HostBuilder:
        return self.command("dmesg", text, returncode=returncode)

    def dmesg_denied(self) -> HostBuilder:
        """dmesg as a non-root user under kernel.dmesg_restrict=1."""
        return self.command("dmesg", DMESG_DENIED, returncode=1)

    def journal(self, text: str | bytes, returncode: int = 0) -> HostBuilder:
        return self.command("journalctl-k", text, returncode=returncode)

    def kern_log(self, text: str | bytes) -> HostBuilder:
        return self.file("/var/log/kern.log", text)

    def efi(self, present: bool = True) -> HostBuilder:
        return self.directory("/sys/firmware/efi") if present else self.remove("/sys/firmware/efi")

    def cgroups(self, mode: str) -> HostBuilder:
        text = {"hybrid": MOUNTS_HYBRID, "v1": MOUNTS_V1, "v2": MOUNTS_V2}[mode]
        self.file("/proc/mounts", text)
        if mode == "v2":
            self.file("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n")
        else:
            self.remove("/sys/fs/cgroup/cgroup.controllers")
        return self

    def snp_off_by_module_option(self) -> HostBuilder:
        """The guide's known issue: sudo rmmod kvm_amd && sudo modprobe kvm_amd sev_snp=0."""
        reload = (
            "[  812.504113] kvm_amd: TSC scaling supported\n"
            "[  812.504120] kvm_amd: SEV enabled (ASIDs 510 - 1006)\n"
            "[  812.504121] kvm_amd: SEV-ES enabled (ASIDs 1 - 509)\n"
            "[  812.504122] kvm_amd: SEV-SNP disabled (ASIDs 1 - 509)\n"
        )
        return self.kvm_amd(sev="Y", sev_es="Y", sev_snp="N").dmesg(DMESG_611_HEALTHY + reload)

    # ------------------------------------------------------------------ output
    def build(self, name: str | None = None) -> Path:
        root = self.base / (name or f"host-{next(_counter)}")
        root.mkdir(parents=True)
        fs = root / "fs"
        fs.mkdir()
        for path in sorted(self.dirs):
            d = fs / path.lstrip("/")
            d.mkdir(parents=True, exist_ok=True)
            (d / ".keep").write_bytes(b"")
        for path, data in self.files.items():
            target = fs / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (root / "commands").mkdir()
        for key, data in self.outputs.items():
            (root / "commands" / f"{_safe_key(key)}.txt").write_bytes(data)
        manifest = {
            "format": SNAPSHOT_FORMAT,
            "version": SNAPSHOT_VERSION,
            "captured_at": "2026-11-26T09:30:00+00:00",
            "label": self.label,
            "commands": self.commands,
            "devices": self.devices,
            "sev_platform_status": self.status,
            "resources": self.res,
            "unreadable": self.unreadable,
            **self.extra_manifest,
        }
        (root / "snapshot.json").write_text(json.dumps(manifest, indent=2))
        return root


def open_snapshot(path: Path) -> SnapshotHost:
    return SnapshotHost(path)


def statuses(report: Any) -> dict[str, str]:
    """{check id: status word} of a CheckReport."""
    return {c.id: c.status.value for c in report.checks}


def ioctl_status(major: int = 1, minor: int = 55, build: int = 21, snp_state: str | None = "INIT") -> dict[str, Any]:
    """What sev_ioctl.read_platform_status returns on a root run (values as decoded there)."""
    status: dict[str, Any] = {
        "api_major": major, "api_minor": minor, "build": build, "state": "INIT", "flags": 0x100, "owner": False,
        "es_initialized": True, "guest_count": 0, "source": "ioctl",
    }
    if snp_state is not None:
        status.update({
            "snp_api_major": major, "snp_api_minor": minor, "snp_build": build, "snp_state": snp_state,
            "snp_initialized": snp_state == "INIT", "rmp_initialized": snp_state == "INIT",
            "alias_check_complete": True, "snp_feature_flags": 0, "snp_guest_count": 0,
            "current_tcb": "d315000000000004", "reported_tcb": "d315000000000004",
        })
    return status
