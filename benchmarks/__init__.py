"""lprnet's benchmark harness (``lprnet bench``, ``lprnet check-regression``) and scripts.

Harness modules: :mod:`.subjects` (what is measured), :mod:`.latency` (interleaved batch-1
timing in one worker process per thread count), :mod:`.memory` (peak RSS per model),
:mod:`.accuracy` (NME and drift), :mod:`.report` (Markdown / JSON / Pareto plot),
:mod:`.regression` (the CI gate). The other files are standalone benchmark scripts.
"""
