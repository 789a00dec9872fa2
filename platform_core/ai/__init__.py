"""AI question generation with a cost ledger, budgets and human review.

- ``configs`` / ``crypto``: per-tenant provider configurations, API keys encrypted at rest.
- ``providers`` (interface), ``openai_provider`` (the ``openai`` SDK), ``offline`` (no network).
- ``windows``, ``prompts``, ``candidates``, ``gates``: what is asked, what comes back, what is kept.
- ``generation`` (calls with retries, repair, ledger and budget), ``jobs`` (the job lifecycle), ``storing``.
- ``pricing``, ``ledger``, ``budgets``: exact costs, the usage ledger and its roll-ups, monthly budgets.
- ``review``: approve, reject, edit; only reviewed questions reach students.

Submodules are imported on demand (importing this package imports nothing else).
"""
