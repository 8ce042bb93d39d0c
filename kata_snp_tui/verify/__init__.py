"""Stage 4, run and verify: the guest run, the guest log parser, the attestation report decoder.

Modules:
- :mod:`guest_log`: what the guest's ``dmesg`` says about SEV, SEV-ES and SEV-SNP (verdict and signals).
- :mod:`report`: decode an SNP attestation report (raw, ioctl response, hex or base64).
- :mod:`guest_script`: the shell script the run executes inside the container.
- :mod:`guest_report_client`: a standalone stdlib ``SNP_GET_REPORT`` client piped into ``python3 -``.
- :mod:`run`: the run itself (``ctr image pull`` and ``ctr run``) through the shared runner.
- :mod:`result`: the verification result, saved in the state folder for the session report.
"""
