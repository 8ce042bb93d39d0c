"""Stage 3: the guide's changes to Kata's configuration.toml (and containerd's config.toml).

Pure engine code: discovery, the change set, the patcher, validation, diffs and safe writes. The editor
screen and the ``config`` command both use these modules; nothing here imports Textual.
"""
