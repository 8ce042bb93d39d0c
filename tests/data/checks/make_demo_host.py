"""Generate assets/demo/host: a recorded healthy SNP host (AMD EPYC 9354P, Genoa, AMD's 5.19 SNP host kernel).

The demo host is data (assets/demo/host); this script is how it was made, kept so it can be remade:

    /work/venv/bin/python tests/data/checks/make_demo_host.py assets/demo/host

It is deterministic (a fixed random seed). The demo is a Kata 3.2-era host (the guide's profile, guide-3.2):
AMD's out-of-tree SNP host kernel of the guide (branch sev-snp-iommu-avic_5.19-rc6_v3, commit 3a88547; no
guest_memfd, which the guide's non-UPM qemu-snp-experimental needs), yq 3.4.1 and containerd 1.7. Its SEV,
RMP and kvm_amd lines follow the wording of AMD's 5.19 branch in the real sample
host-dmesg-working-snp-amd-outoftree-5.19.txt; the other values are plausible, not from one machine.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hosts_helpers import GENOA_FLAGS  # noqa: E402

OUT = Path(sys.argv[1])
RELEASE = "5.19.0-rc6-snp-host-3a885471cf89"
HOSTNAME = "genoa-dev"
LABEL = "demo: recorded healthy SNP host (AMD EPYC 9354P), not this machine"
ROOT_UUID = "8c1f4d2e-5b7a-4e0c-9f3d-2a6b1c7e9d40"
CMDLINE = (f"BOOT_IMAGE=/boot/vmlinuz-{RELEASE} root=UUID={ROOT_UUID} ro quiet splash iommu=nopt "
           "systemd.unified_cgroup_hierarchy=0 vt.handoff=7")
rng = random.Random(9354)

if OUT.exists():
    shutil.rmtree(OUT)
(OUT / "fs").mkdir(parents=True)
(OUT / "commands").mkdir()


def put(path: str, text: str | bytes) -> None:
    target = OUT / "fs" / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode() if isinstance(text, str) else text)


def keep(path: str) -> None:
    d = OUT / "fs" / path.lstrip("/")
    d.mkdir(parents=True, exist_ok=True)
    (d / ".keep").write_bytes(b"")


# ------------------------------------------------------------------------------------ cpuinfo
blocks = []
for n in range(64):
    core = n % 32
    mhz = rng.choice(["3250.000", "1500.000", "3249.998", "1499.763", "3792.113", "2994.512"])
    blocks.append(
        f"processor\t: {n}\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n"
        f"model name\t: AMD EPYC 9354P 32-Core Processor\nstepping\t: 1\nmicrocode\t: 0xa101148\n"
        f"cpu MHz\t\t: {mhz}\ncache size\t: 1024 KB\nphysical id\t: 0\nsiblings\t: 64\ncore id\t\t: {core}\n"
        f"cpu cores\t: 32\napicid\t\t: {core * 2 + n // 32}\ninitial apicid\t: {core * 2 + n // 32}\n"
        f"fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 16\nwp\t\t: yes\nflags\t\t: {GENOA_FLAGS}\n"
        "bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso\nbogomips\t: 6499.99\n"
        "TLB size\t: 3584 4K pages\nclflush size\t: 64\ncache_alignment\t: 64\n"
        "address sizes\t: 52 bits physical, 57 bits virtual\n"
        "power management: ts ttp tm hwpstate cpb eff_freq_ro [13] [14]\n"
    )
put("/proc/cpuinfo", "\n".join(blocks) + "\n")
put("/proc/cmdline", CMDLINE + "\n")
put("/proc/sys/kernel/osrelease", RELEASE + "\n")
put("/proc/sys/kernel/dmesg_restrict", "1\n")

# ------------------------------------------------------------------------------------ sysfs
params = {
    "sev": "Y", "sev_es": "Y", "sev_snp": "Y", "avic": "N", "dump_invalid_vmcb": "N",
    "force_avic": "N", "intercept_smi": "Y", "lbrv": "1", "nested": "1", "npt": "Y", "nrips": "1",
    "pause_filter_count": "3000", "pause_filter_count_grow": "2", "pause_filter_count_max": "65535",
    "pause_filter_count_shrink": "0", "pause_filter_thresh": "128", "tsc_scaling": "1", "vgif": "1",
    "vls": "1",
}
for name, value in params.items():
    put(f"/sys/module/kvm_amd/parameters/{name}", value + "\n")
keep("/sys/module/kvm_amd")
keep("/sys/firmware/efi")
for i in range(4):
    keep(f"/sys/class/iommu/ivhd{i}")
for g in range(4):
    put(f"/sys/kernel/iommu_groups/{g}/type", "DMA-FQ\n")
keep("/etc/modprobe.d")
put("/etc/modprobe.d/blacklist-framebuffer.conf",
    "# Framebuffer drivers are generally buggy and poorly-supported, and cause\n"
    "# suspend failures, kernel panics and general mayhem.  For this reason we\n"
    "# never load them automatically.\nblacklist aty128fb\nblacklist atyfb\nblacklist radeonfb\n")
put("/etc/modprobe.d/iwlwifi.conf", "# /etc/modprobe.d/iwlwifi.conf\nremove iwlwifi \\\n"
    "(/sbin/lsmod | grep -o -e ^iwlmvm -e ^iwldvm -e ^iwlwifi | xargs /sbin/rmmod) \\\n"
    "&& /sbin/modprobe -r mac80211\n")
put("/etc/os-release",
    'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\n'
    'VERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nHOME_URL="https://www.ubuntu.com/"\n'
    'SUPPORT_URL="https://help.ubuntu.com/"\nBUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"\n'
    'PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"\n'
    'UBUNTU_CODENAME=jammy\n')
put("/usr/include/libelf.h", "")  # only its existence was checked (see "unreadable" in snapshot.json)

mounts = """\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=131780236k,nr_inodes=32945059,mode=755,inode64 0 0
devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=26363660k,mode=755,inode64 0 0
/dev/nvme0n1p2 / ext4 rw,relatime 0 0
securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0
tmpfs /run/lock tmpfs rw,nosuid,nodev,noexec,relatime,size=5120k,inode64 0 0
tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,size=4096k,nr_inodes=1024,mode=755,inode64 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0
pstore /sys/fs/pstore pstore rw,nosuid,nodev,noexec,relatime 0 0
efivarfs /sys/firmware/efi/efivars efivarfs rw,nosuid,nodev,noexec,relatime 0 0
bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/misc cgroup rw,nosuid,nodev,noexec,relatime,misc 0 0
cgroup /sys/fs/cgroup/devices cgroup rw,nosuid,nodev,noexec,relatime,devices 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0
cgroup /sys/fs/cgroup/pids cgroup rw,nosuid,nodev,noexec,relatime,pids 0 0
cgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,nodev,noexec,relatime,cpuset 0 0
cgroup /sys/fs/cgroup/blkio cgroup rw,nosuid,nodev,noexec,relatime,blkio 0 0
cgroup /sys/fs/cgroup/net_cls,net_prio cgroup rw,nosuid,nodev,noexec,relatime,net_cls,net_prio 0 0
cgroup /sys/fs/cgroup/freezer cgroup rw,nosuid,nodev,noexec,relatime,freezer 0 0
cgroup /sys/fs/cgroup/hugetlb cgroup rw,nosuid,nodev,noexec,relatime,hugetlb 0 0
cgroup /sys/fs/cgroup/perf_event cgroup rw,nosuid,nodev,noexec,relatime,perf_event 0 0
cgroup /sys/fs/cgroup/rdma cgroup rw,nosuid,nodev,noexec,relatime,rdma 0 0
systemd-1 /proc/sys/fs/binfmt_misc autofs rw,relatime,fd=29,pgrp=1,timeout=0,minproto=5,maxproto=5,direct 0 0
hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0
mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime 0 0
debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec,relatime 0 0
tracefs /sys/kernel/tracing tracefs rw,nosuid,nodev,noexec,relatime 0 0
configfs /sys/kernel/config configfs rw,nosuid,nodev,noexec,relatime 0 0
fusectl /sys/fs/fuse/connections fusectl rw,nosuid,nodev,noexec,relatime 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077,codepage=437,iocharset=iso8859-1,shortname=mixed,errors=remount-ro 0 0
tmpfs /run/user/1000 tmpfs rw,nosuid,nodev,relatime,size=26363656k,nr_inodes=6590914,mode=700,uid=1000,gid=1000,inode64 0 0
"""
put("/proc/mounts", mounts)

# ------------------------------------------------------------------------------------ dmesg
lines: list[tuple[float, str]] = []
t = 0.0


def at(ts: float, *texts: str) -> None:
    global t
    t = max(t, ts)
    for text in texts:
        lines.append((t, text))


at(0.0,
   f"Linux version {RELEASE} (ubuntu@genoa-build) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #1 SMP PREEMPT_DYNAMIC Mon Oct 30 09:12:44 UTC 2023",
   f"Command line: {CMDLINE}",
   "KERNEL supported cpus:", "  Intel GenuineIntel", "  AMD AuthenticAMD", "  Hygon HygonGenuine",
   "  Centaur CentaurHauls", "  zhaoxin   Shanghai  ",
   "x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'",
   "x86/fpu: Supporting XSAVE feature 0x002: 'SSE registers'",
   "x86/fpu: Supporting XSAVE feature 0x004: 'AVX registers'",
   "x86/fpu: Supporting XSAVE feature 0x020: 'AVX-512 opmask'",
   "x86/fpu: Supporting XSAVE feature 0x040: 'AVX-512 Hi256'",
   "x86/fpu: Supporting XSAVE feature 0x080: 'AVX-512 ZMM_Hi256'",
   "x86/fpu: Supporting XSAVE feature 0x200: 'Protection Keys User registers'",
   "x86/fpu: Supporting XSAVE feature 0x800: 'Control-flow User registers'",
   "x86/fpu: xstate_offset[2]:  576, xstate_sizes[2]:  256",
   "x86/fpu: xstate_offset[5]:  832, xstate_sizes[5]:   64",
   "x86/fpu: xstate_offset[6]:  896, xstate_sizes[6]:  512",
   "x86/fpu: xstate_offset[7]: 1408, xstate_sizes[7]: 1024",
   "x86/fpu: xstate_offset[9]: 2432, xstate_sizes[9]:    8",
   "x86/fpu: xstate_offset[11]: 2440, xstate_sizes[11]:   16",
   "x86/fpu: Enabled xstate features 0xae7, context size is 2456 bytes, using 'compacted' format.",
   "signal: max sigframe size: 3376",
   "BIOS-provided physical RAM map:",
   "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable",
   "BIOS-e820: [mem 0x00000000000a0000-0x00000000000fffff] reserved",
   "BIOS-e820: [mem 0x0000000000100000-0x000000005a3b6fff] usable",
   "BIOS-e820: [mem 0x000000005a3b7000-0x000000005a3b7fff] ACPI NVS",
   "BIOS-e820: [mem 0x000000005a3b8000-0x000000006e5a0fff] usable",
   "BIOS-e820: [mem 0x000000006e5a1000-0x000000006f1a3fff] reserved",
   "BIOS-e820: [mem 0x000000006f1a4000-0x000000006f1f5fff] ACPI data",
   "BIOS-e820: [mem 0x000000006f1f6000-0x000000006f6e5fff] ACPI NVS",
   "BIOS-e820: [mem 0x000000006f6e6000-0x0000000075a7afff] reserved",
   "BIOS-e820: [mem 0x0000000075a7b000-0x0000000077ffffff] usable",
   "BIOS-e820: [mem 0x0000000078000000-0x000000007fffffff] reserved",
   "BIOS-e820: [mem 0x00000000aa000000-0x00000000aaffffff] reserved",
   "BIOS-e820: [mem 0x00000000c5000000-0x00000000c5ffffff] reserved",
   "BIOS-e820: [mem 0x00000000e0000000-0x00000000efffffff] reserved",
   "BIOS-e820: [mem 0x00000000fd000000-0x00000000ffffffff] reserved",
   "BIOS-e820: [mem 0x0000000100000000-0x000000403fdfffff] usable",
   "BIOS-e820: [mem 0x000000403fe00000-0x000000407fe03fff] reserved",
   "BIOS-e820: [mem 0x000000407fe04000-0x000000407fffffff] usable",
   "BIOS-e820: [mem 0x0000010000000000-0x00000100ffffffff] reserved",
   "NX (Execute Disable) protection: active",
   "APIC: Static calls initialized",
   "efi: EFI v2.8 by American Megatrends",
   "efi: ACPI=0x6f6e5000 ACPI 2.0=0x6f6e5014 SMBIOS=0x75a7c000 SMBIOS 3.0=0x75a7b000 MEMATTR=0x5e41a018 ESRT=0x6e5a1f18 RNG=0x6f1a4f18 INITRD=0x5a3b5f18 TPMEventLog=0x5a3a3018 ",
   "random: crng init done",
   "efi: Remove mem78: MMIO range=[0xe0000000-0xefffffff] (256MB) from e820 map",
   "e820: remove [mem 0xe0000000-0xefffffff] reserved",
   "SMBIOS 3.5.0 present.",
   "DMI: Dell Inc. PowerEdge R6625/0NWPW3, BIOS 1.5.8 08/18/2023",
   "DMI: Memory slots populated: 8/24",
   "tsc: Fast TSC calibration using PIT",
   "tsc: Detected 3249.998 MHz processor",
   "e820: update [mem 0x00000000-0x00000fff] usable ==> reserved",
   "e820: remove [mem 0x000a0000-0x000fffff] usable",
   "last_pfn = 0x4080000 max_arch_pfn = 0x10000000000",
   "MTRR map: 6 entries (3 fixed + 3 variable; max 20), built from 9 variable MTRRs",
   "x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT  ",
   "SEV-SNP: RMP table physical address 0x000000403fe00000 - 0x000000407fe03fff",
   "last_pfn = 0x78000 max_arch_pfn = 0x10000000000",
   "esrt: Reserving ESRT space from 0x000000006e5a1f18 to 0x000000006e5a1f50.",
   "Using GB pages for direct mapping",
   "Secure boot disabled",
   "RAMDISK: [mem 0x4a9a3000-0x4e5c8fff]",
   "ACPI: Early table checksum verification disabled",
   "ACPI: RSDP 0x000000006F6E5014 000024 (v02 DELL  )",
   "ACPI: XSDT 0x000000006F6E4728 0000F4 (v01 DELL   PE_SC3   00000002 DELL 01000013)",
   "ACPI: FACP 0x000000006F1ED000 000114 (v06 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: DSDT 0x000000006F1A4000 04891C (v02 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: FACS 0x000000006F6DB000 000040",
   "ACPI: SSDT 0x000000006F1F4000 000A9D (v02 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: SPMI 0x000000006F1F3000 000041 (v05 DELL   PE_SC3   00000000 DELL 00000001)",
   "ACPI: SSDT 0x000000006F1F2000 00050E (v02 DELL   Tpm2Tabl 00001000 INTL 20210331)",
   "ACPI: TPM2 0x000000006F1F1000 00004C (v04 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: SSDT 0x000000006F1F0000 0005D8 (v02 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: FIDT 0x000000006F1EF000 00009C (v01 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: MCFG 0x000000006F1EE000 00003C (v01 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: HPET 0x000000006F1EC000 000038 (v01 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: APIC 0x000000006F1EA000 0004C4 (v05 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: SRAT 0x000000006F1E9000 0004A0 (v03 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: SLIT 0x000000006F1E8000 00003C (v01 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: CRAT 0x000000006F1E5000 002DC0 (v01 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: CDIT 0x000000006F1E4000 000029 (v01 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: BERT 0x000000006F1E3000 000030 (v01 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: IVRS 0x000000006F1E2000 0001E0 (v02 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: SSDT 0x000000006F1E1000 000C9C (v02 DELL   PE_SC3   00000002 DELL 00000001)",
   "ACPI: Reserving FACP table memory at [mem 0x6f1ed000-0x6f1ed113]",
   "ACPI: Reserving DSDT table memory at [mem 0x6f1a4000-0x6f1ec91b]",
   "ACPI: Reserving IVRS table memory at [mem 0x6f1e2000-0x6f1e21df]",
   "SRAT: PXM 0 -> APIC 0x00 -> Node 0",
   "ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x7fffffff]",
   "ACPI: SRAT: Node 0 PXM 0 [mem 0x100000000-0x407fffffff]",
   "NUMA: Node 0 [mem 0x00000000-0x7fffffff] + [mem 0x100000000-0x407fffffff] -> [mem 0x00000000-0x407fffffff]",
   "NODE_DATA(0) allocated [mem 0x407ffd5000-0x407fffffff]",
   "Zone ranges:",
   "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]",
   "  DMA32    [mem 0x0000000001000000-0x00000000ffffffff]",
   "  Normal   [mem 0x0000000100000000-0x000000407fffffff]",
   "  Device   empty",
   "Movable zone start for each node",
   "Early memory node ranges",
   "ACPI: PM-Timer IO Port: 0x408",
   "ACPI: X2APIC_NMI (uid[0xffffffff] high level lint[0x1])",
   "IOAPIC[0]: apic_id 128, version 33, address 0xfec00000, GSI 0-23",
   "IOAPIC[1]: apic_id 129, version 33, address 0xfd880000, GSI 24-55",
   "ACPI: INT_SRC_OVR (bus 0 bus_irq 0 global_irq 2 dfl dfl)",
   "ACPI: Using ACPI (MADT) for SMP configuration information",
   "ACPI: HPET id: 0x10228201 base: 0xfed00000",
   "smpboot: Allowing 64 CPUs, 0 hotplug CPUs",
   "[mem 0x80000000-0xa9ffffff] available for PCI devices",
   "Booting paravirtualized kernel on bare hardware",
   "clocksource: refined-jiffies: mask: 0xffffffff max_cycles: 0xffffffff, max_idle_ns: 7645519600211568 ns",
   "setup_percpu: NR_CPUS:8192 nr_cpumask_bits:64 nr_cpu_ids:64 nr_node_ids:1",
   "percpu: Embedded 84 pages/cpu s221184 r8192 d114688 u524288",
   f"Kernel command line: {CMDLINE}",
   f"Unknown kernel command line parameters \"splash BOOT_IMAGE=/boot/vmlinuz-{RELEASE}\", will be passed to user space.",
   "printk: log_buf_len individual max cpu contribution: 4096 bytes",
   "printk: log_buf_len total cpu_extra contributions: 258048 bytes",
   "printk: log_buf_len min size: 262144 bytes",
   "printk: log_buf_len: 524288 bytes",
   "Dentry cache hash table entries: 16777216 (order: 15, 134217728 bytes, linear)",
   "Inode-cache hash table entries: 8388608 (order: 14, 67108864 bytes, linear)",
   "Fallback order for Node 0: 0 ",
   "Built 1 zonelists, mobility grouping on.  Total pages: 66792318",
   "mem auto-init: stack:all(zero), heap alloc:on, heap free:off",
   "software IO TLB: area num 64.",
   "Memory: 262214732K/267169272K available (22528K kernel code, 4439K rwdata, 14256K rodata, 4992K init, 4676K bss, 4954284K reserved, 0K cma-reserved)",
   "SLUB: HWalign=64, Order=0-3, MinObjects=0, CPUs=64, Nodes=1",
   "ftrace: allocating 57380 entries in 225 pages",
   "ftrace: allocated 225 pages with 4 groups",
   "Dynamic Preempt: voluntary",
   "rcu: Preemptible hierarchical RCU implementation.",
   "rcu: \tRCU restricting CPUs from NR_CPUS=8192 to nr_cpu_ids=64.",
   "NR_IRQS: 524544, nr_irqs: 1448, preallocated irqs: 16",
   "Console: colour dummy device 80x25",
   "printk: console [tty0] enabled",
   "ACPI: Core revision 20220331",
   "clocksource: hpet: mask: 0xffffffff max_cycles: 0xffffffff, max_idle_ns: 133484873504 ns",
   "APIC: Switch to symmetric I/O mode setup",
   "x2apic: IRQ remapping doesn't support X2APIC mode",
   "x2apic enabled",
   "APIC: Switched APIC routing to: physical x2apic",
   "..TIMER: vector=0x30 apic1=0 pin1=2 apic2=-1 pin2=-1",
   "clocksource: tsc-early: mask: 0xffffffffffffffff max_cycles: 0x2ed8e05f97a, max_idle_ns: 440795314410 ns",
   "Calibrating delay loop (skipped), value calculated using timer frequency.. 6499.99 BogoMIPS (lpj=12999992)",
   "x86/cpu: User Mode Instruction Prevention (UMIP) activated",
   "LVT offset 1 assigned for vector 0xf9",
   "LVT offset 2 assigned for vector 0xf4",
   "Last level iTLB entries: 4KB 512, 2MB 512, 4MB 256",
   "Last level dTLB entries: 4KB 3072, 2MB 3072, 4MB 1536, 1GB 0",
   "process: using mwait in idle threads",
   "Spectre V1 : Mitigation: usercopy/swapgs barriers and __user pointer sanitization",
   "Spectre V2 : Mitigation: Enhanced / Automatic IBRS",
   "Spectre V2 : Spectre v2 / SpectreRSB mitigation: Filling RSB on context switch",
   "Spectre V2 : Spectre v2 / PBRSB-eIBRS: Not affected",
   "Spectre V2 : mitigation: Enabling conditional Indirect Branch Prediction Barrier",
   "Speculative Store Bypass: Mitigation: Speculative Store Bypass disabled via prctl",
   "Speculative Return Stack Overflow: Mitigation: Safe RET",
   "Freeing SMP alternatives memory: 48K",
   "pid_max: default: 65536 minimum: 512",
   "LSM: initializing lsm=lockdown,capability,landlock,yama,apparmor,ima,evm",
   "landlock: Up and running.",
   "Yama: becoming mindful.",
   "AppArmor: AppArmor initialized",
   "Mount-cache hash table entries: 262144 (order: 9, 2097152 bytes, linear)",
   "Mountpoint-cache hash table entries: 262144 (order: 9, 2097152 bytes, linear)",
   "smpboot: CPU0: AMD EPYC 9354P 32-Core Processor (family: 0x19, model: 0x11, stepping: 0x1)",
   "Performance Events: Fam17h+ 16-deep LBR, core perfctr, AMD PMU driver.",
   "... version:                2",
   "... bit width:              48",
   "... generic registers:      6",
   "... value mask:             0000ffffffffffff",
   "... max period:             00007fffffffffff",
   "... fixed-purpose events:   0",
   "... event mask:             000000000000003f",
   "signal: max sigframe size: 3376",
   "rcu: Hierarchical SRCU implementation.",
   "rcu: \tMax phase no-delay instances is 1000.",
   "NMI watchdog: Enabled. Permanently consumes one hw-PMU counter.",
   "smp: Bringing up secondary CPUs ...",
   "smpboot: x86: Booting SMP configuration:",
   ".... node  #0, CPUs:        #1  #2  #3  #4  #5  #6  #7  #8  #9 #10 #11 #12 #13 #14 #15 #16 #17 #18 #19 #20 #21 #22 #23 #24 #25 #26 #27 #28 #29 #30 #31 #32 #33 #34 #35 #36 #37 #38 #39 #40 #41 #42 #43 #44 #45 #46 #47 #48 #49 #50 #51 #52 #53 #54 #55 #56 #57 #58 #59 #60 #61 #62 #63",
   )
at(0.211842,
   "Spectre V2 : Update user space SMT mitigation: STIBP always-on",
   "smp: Brought up 1 node, 64 CPUs",
   "smpboot: Total of 64 processors activated (415999.36 BogoMIPS)",
   "devtmpfs: initialized",
   "x86/mm: Memory block size: 2048MB",
   "ACPI: PM: Registering ACPI NVS region [mem 0x5a3b7000-0x5a3b7fff] (4096 bytes)",
   "ACPI: PM: Registering ACPI NVS region [mem 0x6f1f6000-0x6f6e5fff] (5177344 bytes)",
   "clocksource: jiffies: mask: 0xffffffff max_cycles: 0xffffffff, max_idle_ns: 7645041785100000 ns",
   "futex hash table entries: 16384 (order: 8, 1048576 bytes, vmalloc hugepage)",
   "pinctrl core: initialized pinctrl subsystem",
   "PM: RTC time: 14:01:58, date: 2026-03-12",
   "NET: Registered PF_NETLINK/PF_ROUTE protocol family",
   "DMA: preallocated 4096 KiB GFP_KERNEL pool for atomic allocations",
   "audit: initializing netlink subsys (disabled)",
   "thermal_sys: Registered thermal governor 'fair_share'",
   "thermal_sys: Registered thermal governor 'bang_bang'",
   "thermal_sys: Registered thermal governor 'step_wise'",
   "thermal_sys: Registered thermal governor 'user_space'",
   "cpuidle: using governor ladder",
   "cpuidle: using governor menu",
   "acpiphp: ACPI Hot Plug PCI Controller Driver version: 0.5",
   "PCI: ECAM [mem 0xe0000000-0xefffffff] (base 0xe0000000) for domain 0000 [bus 00-ff]",
   )
at(0.38841,
   "PCI: Using configuration type 1 for base access",
   "HugeTLB: registered 1.00 GiB page size, pre-allocated 0 pages",
   "HugeTLB: registered 2.00 MiB page size, pre-allocated 0 pages",
   "ACPI: Added _OSI(Module Device)",
   "ACPI: Added _OSI(Processor Device)",
   "ACPI: Added _OSI(Processor Aggregator Device)",
   "ACPI: 5 ACPI AML tables successfully acquired and loaded",
   "ACPI: Interpreter enabled",
   "ACPI: PM: (supports S0 S5)",
   "ACPI: Using IOAPIC for interrupt routing",
   "PCI: Using host bridge windows from ACPI; if necessary, use \"pci=nocrs\" and report a bug",
   "PCI: Ignoring E820 reservations for host bridge windows",
   "ACPI: Enabled 2 GPEs in block 00 to 1F",
   "ACPI: PCI Root Bridge [S0D0] (domain 0000 [bus 00-0f])",
   "acpi PNP0A08:00: _OSC: OS supports [ExtendedConfig ASPM ClockPM Segments MSI EDR HPX-Type3]",
   "acpi PNP0A08:00: _OSC: OS now controls [PCIeHotplug SHPCHotplug PME AER PCIeCapability LTR DPC]",
   "PCI host bridge to bus 0000:00",
   "pci_bus 0000:00: root bus resource [io  0x0000-0x03af window]",
   "pci_bus 0000:00: root bus resource [mem 0xc6000000-0xc6ffffff window]",
   "pci_bus 0000:00: root bus resource [bus 00-0f]",
   "pci 0000:00:00.0: [1022:14a4] type 00 class 0x060000 conventional PCI endpoint",
   "pci 0000:00:00.2: [1022:149e] type 00 class 0x080600 conventional PCI endpoint",
   "pci 0000:00:01.0: [1022:149f] type 00 class 0x060000 conventional PCI endpoint",
   "pci 0000:00:07.1: [1022:14a7] type 01 class 0x060400 PCIe Root Port",
   "pci 0000:01:00.0: [1022:14ac] type 00 class 0x130000 PCIe Endpoint",
   "pci 0000:01:00.4: [1022:14c9] type 00 class 0x0c0330 PCIe Endpoint",
   "pci 0000:01:00.5: [1022:14ca] type 00 class 0x108000 PCIe Endpoint",
   "ACPI: PCI Root Bridge [S0D1] (domain 0000 [bus 40-4f])",
   "pci 0000:40:00.2: [1022:149e] type 00 class 0x080600 conventional PCI endpoint",
   "pci 0000:41:00.0: [144d:a80a] type 00 class 0x010802 PCIe Endpoint",
   "ACPI: PCI Root Bridge [S0D2] (domain 0000 [bus 80-8f])",
   "pci 0000:80:00.2: [1022:149e] type 00 class 0x080600 conventional PCI endpoint",
   "ACPI: PCI Root Bridge [S0D3] (domain 0000 [bus c0-cf])",
   "pci 0000:c0:00.2: [1022:149e] type 00 class 0x080600 conventional PCI endpoint",
   "pci 0000:c1:00.0: [14e4:16d7] type 00 class 0x020000 PCIe Endpoint",
   "pci 0000:c1:00.1: [14e4:16d7] type 00 class 0x020000 PCIe Endpoint",
   )
at(1.51794,
   "iommu: Default domain type: Translated",
   "iommu: DMA domain TLB invalidation policy: lazy mode",
   "SCSI subsystem initialized",
   "libata version 3.00 loaded.",
   "ACPI: bus type USB registered",
   "usbcore: registered new interface driver usbfs",
   "usbcore: registered new interface driver hub",
   "usbcore: registered new device driver usb",
   "pps_core: LinuxPPS API ver. 1 registered",
   "PTP clock support registered",
   "EDAC MC: Ver: 3.0.0",
   "efivars: Registered efivars operations",
   "NetLabel: Initializing",
   "PCI: Using ACPI for IRQ routing",
   "PCI: pci_cache_line_size set to 64 bytes",
   "e820: reserve RAM buffer [mem 0x0009f000-0x0009ffff]",
   "e820: reserve RAM buffer [mem 0x5a3b7000-0x5bffffff]",
   "hpet0: at MMIO 0xfed00000, IRQs 2, 8, 0",
   "hpet0: 3 comparators, 32-bit 14.318180 MHz counter",
   "clocksource: Switched to clocksource tsc-early",
   "VFS: Disk quotas dquot_6.6.0",
   "AppArmor: AppArmor Filesystem Enabled",
   "pnp: PnP ACPI init",
   "pnp: PnP ACPI: found 5 devices",
   "NET: Registered PF_INET protocol family",
   "TCP established hash table entries: 524288 (order: 10, 4194304 bytes, vmalloc hugepage)",
   "TCP: Hash tables configured (established 524288 bind 65536)",
   "NET: Registered PF_UNIX/PF_LOCAL protocol family",
   "PCI: CLS 64 bytes, default 64",
   )
at(1.203117,
   "AMD-Vi: Using global IVHD EFR:0x246577efa2254afa, EFR2:0x0",
   "pci 0000:00:00.2: AMD-Vi: IOMMU performance counters supported",
   "pci 0000:40:00.2: AMD-Vi: IOMMU performance counters supported",
   "pci 0000:80:00.2: AMD-Vi: IOMMU performance counters supported",
   "pci 0000:c0:00.2: AMD-Vi: IOMMU performance counters supported",
   "pci 0000:00:00.2: Adding to iommu group 0",
   "pci 0000:00:01.0: Adding to iommu group 1",
   "pci 0000:01:00.0: Adding to iommu group 2",
   "pci 0000:01:00.5: Adding to iommu group 3",
   "pci 0000:41:00.0: Adding to iommu group 14",
   "pci 0000:c1:00.0: Adding to iommu group 31",
   "pci 0000:c1:00.1: Adding to iommu group 32",
   )
at(2.412553,
   "pci 0000:00:00.2: AMD-Vi: Found IOMMU cap 0x40",
   "AMD-Vi: Extended features (0x246577efa2254afa, 0x0): PPR NX GT [5] IA GA PC GA_vAPIC SNP",
   "pci 0000:40:00.2: AMD-Vi: Found IOMMU cap 0x40",
   "pci 0000:80:00.2: AMD-Vi: Found IOMMU cap 0x40",
   "pci 0000:c0:00.2: AMD-Vi: Found IOMMU cap 0x40",
   "AMD-Vi: Interrupt remapping enabled",
   "AMD-Vi: Virtual APIC enabled",
   "AMD-Vi: X2APIC enabled",
   "AMD-Vi: IOMMU SNP support enabled.",
   "PCI-DMA: Using software bounce buffering for IO (SWIOTLB)",
   "software IO TLB: mapped [mem 0x0000000066a2a000-0x000000006aa2a000] (64MB)",
   "LVT offset 0 assigned for vector 0x400",
   "perf: AMD IBS detected (0x00000bff)",
   "perf/amd_iommu: Detected AMD IOMMU #0 (2 banks, 4 counters/bank).",
   "perf/amd_iommu: Detected AMD IOMMU #1 (2 banks, 4 counters/bank).",
   "perf/amd_iommu: Detected AMD IOMMU #2 (2 banks, 4 counters/bank).",
   "perf/amd_iommu: Detected AMD IOMMU #3 (2 banks, 4 counters/bank).",
   )
at(2.503321,
   "Initialise system trusted keyrings",
   "workingset: timestamp_bits=36 max_order=26 bucket_order=0",
   "squashfs: version 4.0 (2009/01/31) Phillip Lougher",
   "Key type asymmetric registered",
   "Block layer SCSI generic (bsg) driver version 0.4 loaded (major 243)",
   "io scheduler mq-deadline registered",
   "pcieport 0000:00:07.1: PME: Signaling with IRQ 36",
   "pcieport 0000:00:07.1: AER: enabled with IRQ 36",
   "Monitor-Mwait will be used to enter C-1 state",
   "ACPI: \\_SB_.C000: Found 2 idle states",
   "Serial: 8250/16550 driver, 32 ports, IRQ sharing enabled",
   "00:03: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A",
   "Linux agpgart interface v0.103",
   "loop: module loaded",
   "tun: Universal TUN/TAP device driver, 1.6",
   "i8042: PNP: No PS/2 controller found.",
   "mousedev: PS/2 mouse device common for all mice",
   "rtc_cmos 00:02: RTC can wake from S4",
   "rtc_cmos 00:02: registered as rtc0",
   "device-mapper: ioctl: 4.48.0-ioctl (2023-03-01) initialised: dm-devel@lists.linux.dev",
   "amd_pstate: driver load is disabled, boot with specific mode to enable this",
   "ledtrig-cpu: registered to indicate activity on CPUs",
   "efifb: probing for efifb",
   "efifb: framebuffer at 0x80000000, using 3072k, total 3072k",
   "fbcon: Deferring console take-over",
   "drop_monitor: Initializing network drop monitor service",
   "NET: Registered PF_INET6 protocol family",
   "microcode: Current revision: 0x0a101148",
   "resctrl: L3 allocation detected",
   "resctrl: MB allocation detected",
   "resctrl: L3 monitoring detected",
   "IPI shorthand broadcast: enabled",
   "sched_clock: Marking stable (1764011838, 8025321)->(1776342106, -4304947)",
   "registered taskstats version 1",
   "Loading compiled-in X.509 certificates",
   "zswap: loaded using pool zstd/zsmalloc",
   "Key type .fscrypt registered",
   "ima: Allocated hash algorithm: sha1",
   "ima: No architecture policies found",
   "evm: Initialising EVM extended attributes:",
   "PM:   Magic number: 0:437:113",
   "RAS: Correctable Errors collector initialized.",
   "clk: Disabling unused clocks",
   "Freeing unused decrypted memory: 2028K",
   "Freeing unused kernel image (initmem) memory: 4992K",
   "Write protecting the kernel read-only data: 38912k",
   "Freeing unused kernel image (rodata/data gap) memory: 80K",
   "x86/mm: Checked W+X mappings: passed, no W+X pages found.",
   )
at(2.981002,
   "Run /init as init process",
   "  with arguments:",
   "    /init",
   "    splash",
   "  with environment:",
   "    HOME=/",
   "    TERM=linux",
   f"    BOOT_IMAGE=/boot/vmlinuz-{RELEASE}",
   )
at(3.118224,
   "nvme 0000:41:00.0: platform quirk: setting simple suspend",
   "nvme nvme0: pci function 0000:41:00.0",
   "xhci_hcd 0000:01:00.4: xHCI Host Controller",
   "xhci_hcd 0000:01:00.4: new USB bus registered, assigned bus number 1",
   "hub 1-0:1.0: USB hub found",
   "hub 1-0:1.0: 2 ports detected",
   "nvme nvme0: 64/0/0 default/read/poll queues",
   " nvme0n1: p1 p2",
   "tg3 0000:c1:00.0 eth0: Tigon3 [partno(BCM95720) rev 5720000] (PCI Express) MAC address 6c:92:cf:1a:4e:20",
   "tg3 0000:c1:00.0 eth0: attached PHY is 5720C (10/100/1000Base-T Ethernet) (WireSpeed[1], EEE[1])",
   "tg3 0000:c1:00.1 eth1: Tigon3 [partno(BCM95720) rev 5720000] (PCI Express) MAC address 6c:92:cf:1a:4e:21",
   "tg3 0000:c1:00.0 eno8303: renamed from eth0",
   "tg3 0000:c1:00.1 eno8403: renamed from eth1",
   "EXT4-fs (nvme0n1p2): mounted filesystem 1b6b0f1e-7a43-4f4a-8c6e-0f4d5f0a9c3e ro with ordered data mode. Quota mode: none.",
   )
at(4.402117,
   "systemd[1]: Inserted module 'autofs4'",
   "systemd[1]: systemd 249.11-0ubuntu3.12 running in system mode (+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT +GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY -P11KIT -QRENCODE +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified)",
   "systemd[1]: Detected architecture x86-64.",
   f"systemd[1]: Hostname set to <{HOSTNAME}>.",
   "systemd[1]: Queued start job for default target Graphical Interface.",
   "systemd[1]: Created slice Slice /system/modprobe.",
   "systemd[1]: Started Forward Password Requests to Wall Directory Watch.",
   "systemd[1]: Reached target Local Encrypted Volumes.",
   "systemd[1]: Listening on Journal Socket (/dev/log).",
   "systemd[1]: Listening on udev Control Socket.",
   "systemd[1]: Mounting Huge Pages File System...",
   "systemd[1]: Starting Load Kernel Module configfs...",
   "systemd[1]: Starting Load Kernel Module drm...",
   "systemd[1]: Starting Journal Service...",
   "systemd[1]: Starting Remount Root and Kernel File Systems...",
   "EXT4-fs (nvme0n1p2): re-mounted 1b6b0f1e-7a43-4f4a-8c6e-0f4d5f0a9c3e r/w. Quota mode: none.",
   "systemd[1]: Started Journal Service.",
   "systemd-journald[912]: Received client request to flush runtime journal.",
   "ipmi_si IPI0001:00: IPMI message handler: version 39.2",
   "ipmi_si: IPMI System Interface driver",
   "ipmi_si IPI0001:00: ipmi_platform: probing via ACPI",
   "ACPI: button: Power Button [PWRF]",
   "input: Power Button as /devices/LNXSYSTM:00/LNXPWRBN:00/input/input0",
   "EDAC amd64: F19h_M10h detected (node 0).",
   "EDAC MC0: Giving out device to module amd64_edac controller F19h_M10h: DEV 0000:00:18.3 (INTERRUPT)",
   "EDAC amd64: MC: 0:     0MB 1:     0MB",
   "EDAC amd64: MC: 2: 32768MB 3: 32768MB",
   "ipmi_si IPI0001:00: Using irq 10",
   "ipmi_si IPI0001:00: IPMI kcs interface initialized",
   "ipmi_ssif: IPMI SSIF Interface driver",
   "intel_rapl_common: Found RAPL domain package",
   "intel_rapl_common: Found RAPL domain core",
   "amd_atl: AMD Address Translation Library initialized",
   )
at(6.813264,
   "ccp 0000:01:00.5: enabling device (0000 -> 0002)",
   "ccp 0000:01:00.5: sev enabled",
   "ccp 0000:01:00.5: psp enabled",
   )
at(7.214950, "ccp 0000:01:00.5: SEV API:1.55 build:21")
at(7.215307, "ccp 0000:01:00.5: SEV-SNP API:1.55 build:21")
at(7.461832,
   "kvm_amd: TSC scaling supported",
   "kvm_amd: Nested Virtualization enabled",
   "kvm_amd: Nested Paging enabled",
   "kvm_amd: LBR virtualization supported",
   "SEV supported: 497 ASIDs",
   "SEV-ES and SEV-SNP supported: 509 ASIDs",
   "kvm_amd: Virtual VMLOAD VMSAVE supported",
   "kvm_amd: Virtual GIF supported",
   "snd_hda_intel 0000:01:00.7: Disabling MSI",
   "Adding 8388604k swap on /swap.img.  Priority:-2 extents:2 across:8425468k SS",
   "audit: type=1400 audit(1773324122.611:2): apparmor=\"STATUS\" operation=\"profile_load\" profile=\"unconfined\" name=\"lsb_release\" pid=1336 comm=\"apparmor_parser\"",
   "audit: type=1400 audit(1773324122.615:3): apparmor=\"STATUS\" operation=\"profile_load\" profile=\"unconfined\" name=\"nvidia_modprobe\" pid=1337 comm=\"apparmor_parser\"",
   "audit: type=1400 audit(1773324122.623:4): apparmor=\"STATUS\" operation=\"profile_load\" profile=\"unconfined\" name=\"/usr/lib/snapd/snap-confine\" pid=1340 comm=\"apparmor_parser\"",
   "tg3 0000:c1:00.0 eno8303: Link is up at 1000 Mbps, full duplex",
   "tg3 0000:c1:00.0 eno8303: Flow control is on for TX and on for RX",
   "tg3 0000:c1:00.0 eno8303: EEE is enabled",
   )
at(9.884512,
   "bridge: filtering via arp/ip/ip6tables is no longer available by default. Update your scripts to load br_netfilter if you need this.",
   "Bridge firewalling registered",
   "Initializing XFRM netlink socket",
   "loop0: detected capacity change from 0 to 8",
   "overlayfs: idmapped layers are currently not supported",
   )
at(14.307118,
   "docker0: port 1(vethd3a1f0c) entered blocking state",
   "docker0: port 1(vethd3a1f0c) entered disabled state",
   "vethd3a1f0c: entered allmulticast mode",
   "vethd3a1f0c: entered promiscuous mode",
   "eth0: renamed from veth5c2e9b7",
   "docker0: port 1(vethd3a1f0c) entered blocking state",
   "docker0: port 1(vethd3a1f0c) entered forwarding state",
   )
at(3601.120045,
   "docker0: port 1(vethd3a1f0c) entered disabled state",
   "veth5c2e9b7: renamed from eth0",
   "docker0: port 1(vethd3a1f0c) entered disabled state",
   "vethd3a1f0c (unregistering): left allmulticast mode",
   "vethd3a1f0c (unregistering): left promiscuous mode",
   "docker0: port 1(vethd3a1f0c) entered disabled state",
   )

# spread timestamps inside each burst so they increase line by line
out_lines = []
prev = -1.0
early = True  # the kernel prints 0.000000 until its clock runs
for ts, text in lines:
    if text.startswith("APIC: Switch to symmetric"):
        early = False
    if early:
        ts = 0.0
    else:
        ts = max(ts, prev + rng.uniform(0.000001, 0.0009)) if ts <= prev else ts
    prev = ts
    out_lines.append(f"[{ts:12.6f}] {text}")
dmesg = "\n".join(out_lines) + "\n"
(OUT / "commands" / "dmesg.txt").write_text(dmesg)

# journalctl -k -b 0 -o short: the same boot, as the journal shows it
import datetime as _dt  # noqa: E402

boot = _dt.datetime(2026, 3, 12, 14, 1, 57)
journal = []
for ts, text in zip([float(l[1:13]) for l in out_lines], [l[15:] for l in out_lines]):
    stamp = (boot + _dt.timedelta(seconds=ts)).strftime("%b %d %H:%M:%S")
    journal.append(f"{stamp} {HOSTNAME} kernel: {text}")
(OUT / "commands" / "journalctl-k.txt").write_text("\n".join(journal) + "\n")

outputs = {
    "git": (0, "git version 2.34.1\n"),
    "make": (0, "GNU Make 4.3\nBuilt for x86_64-pc-linux-gnu\nCopyright (C) 1988-2020 Free Software Foundation, Inc.\n"
                "License GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>\n"
                "This is free software: you are free to change and redistribute it.\n"
                "There is NO WARRANTY, to the extent permitted by law.\n"),
    "gcc": (0, "gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0\nCopyright (C) 2021 Free Software Foundation, Inc.\n"
               "This is free software; see the source for copying conditions.  There is NO\n"
               "warranty; not even for MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.\n\n"),
    "flex": (0, "flex 2.6.4\n"),
    "bison": (0, "bison (GNU Bison) 3.8.2\nWritten by Robert Corbett and Richard Stallman.\n\n"
                 "Copyright (C) 2021 Free Software Foundation, Inc.\n"
                 "This is free software; see the source for copying conditions.  There is NO\n"
                 "warranty; not even for MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.\n"),
    "go": (0, "go version go1.20.14 linux/amd64\n"),
    "rustup": (0, "rustup 1.27.1 (54dd3d00f 2024-04-24)\ninfo: This is the version for the rustup toolchain manager, "
                  "not the rustc compiler.\ninfo: The currently active `rustc` version is `rustc 1.69.0 "
                  "(84c898d65 2023-04-16)`\n"),
    "rustup-targets": (0, "x86_64-unknown-linux-gnu\nx86_64-unknown-linux-musl\n"),
    "cargo": (0, "cargo 1.69.0 (6e9a83356 2023-04-12)\n"),
    "docker": (0, "Docker version 24.0.7, build 24.0.7-0ubuntu2~22.04.1\n"),
    "docker-info": (0, "24.0.7 runc\n"),
    "yq": (0, "yq version 3.4.1\n"),
    "containerd": (0, "containerd github.com/containerd/containerd 1.7.12 \n"),
    "ctr": (0, "ctr github.com/containerd/containerd 1.7.12\n"),
    "sudo": (1, "sudo: a password is required\n"),
}
not_found = ("kata-runtime", "qemu-system-x86_64")

from kata_snp_tui.probes import PROBE_COMMANDS  # noqa: E402

commands = {}
for key, argv in PROBE_COMMANDS.items():
    if key in ("dmesg", "journalctl-k"):
        commands[key] = {"argv": list(argv), "returncode": 0}
        continue
    if key in not_found:
        commands[key] = {"argv": list(argv), "returncode": None, "error": "not found"}
        continue
    rc, text = outputs[key]
    commands[key] = {"argv": list(argv), "returncode": rc}
    (OUT / "commands" / f"{key}.txt").write_text(text)

GIB = 1024**3
manifest = {
    "format": "kata-snp-tui.host-snapshot",
    "version": 1,
    "captured_at": "2026-03-12T15:04:31+00:00",
    "label": LABEL,
    "hostname": HOSTNAME,
    "note": "Demo data: a recording of a healthy SEV-SNP host of the Kata 3.2 era (the guide's AMD 5.19 SNP host "
            "kernel, yq 3.4.1, containerd 1.7) before the build stage (Kata not built yet). "
            "It is not this machine.",
    "commands": commands,
    "devices": {"/dev/sev": "char", "/dev/kvm": "char"},
    "sev_platform_status": {
        "api_major": 1, "api_minor": 55, "build": 21, "state": "INIT", "flags": 256, "owner": False,
        "es_initialized": True, "guest_count": 0,
        "snp_api_major": 1, "snp_api_minor": 55, "snp_build": 21, "snp_state": "INIT", "snp_initialized": True,
        "rmp_initialized": True, "alias_check_complete": False, "snp_feature_flags": 0, "snp_guest_count": 0,
        "current_tcb": "4815000000000007", "reported_tcb": "4815000000000007", "source": "ioctl",
    },
    "resources": {
        "cpu_count": 64,
        "mem_total": 268_501_295_104,
        "mem_available": 258_113_536_000,
        "disk_free": {"/home/dev": 1_573_712_478_208, "/tmp": 1_573_712_478_208, "/": 1_573_712_478_208,
                      "/home/dev/kata-snp-workspace": 1_573_712_478_208},
    },
    "unreadable": {"/usr/include/libelf.h": "not captured: only its existence was checked"},
}
(OUT / "snapshot.json").write_text(json.dumps(manifest, indent=2) + "\n")
print(len(out_lines), "dmesg lines")
