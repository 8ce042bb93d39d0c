"""Benchmarks: does the wizard stay fast as its work grows? (``python -m kata_snp_tui.bench``)

Run outside the test suite. Every figure is measured beside a baseline in the same run, and both
are reported with their ratio (the median of several runs, ``--repeat``):

* ``stream``: build output of 10^4..10^6 lines through the real runner into the Build screen
  (under ``run_test``, in a fresh process per run) and through the headless ``build`` command
  (a whole process), each against a plain Python loop copying the same output to a file;
  lines per second, the longest event-loop stall, RSS growth, and a count of every line that
  reached the step's log file (a fast but lossy runner cannot pass);
* ``startup``: the wizard's first screen against a minimal Textual app, and
  ``kata-snp-tui check --json --demo`` as a whole process against ``python -c pass``;
* ``checks``: every host check on the demo host and on this machine;
* ``config``: the editor's work per keystroke (re-diff and validation) on the Kata 3.2.0 file
  and on a file ten times longer;
* ``snapshot``: capturing this machine into a folder and a ``.tar.gz``.

Nothing in the product imports this package; it may import Textual (its workers drive screens).
Its sub-modules are small: :mod:`.model` (rows, targets, machine), :mod:`.measure` (RSS, stalls,
processes, log checks), one module per section, and the scripts and workers those run.
"""
