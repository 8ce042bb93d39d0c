"""kata-snp-tui: a terminal wizard for Kata Containers with AMD SEV-SNP VMs."""

__version__ = "0.1.0"
