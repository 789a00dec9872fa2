"""The simulator that plays the learner-facing player for demos, tests and benchmarks (``ilp seed``).

``corpus`` (built-in topics, sentences and question material), ``content_plan`` (a deterministic plan of
tenants, people, classes, lessons, videos, milestones and questions), ``answers`` (correct and plausible
wrong responses for every question type), ``learners`` (learner profiles and their study schedule),
``player`` (a learner's viewing as events, session syncs and attempts, following the platform's next
step), ``backends`` (the player's view of the platform: the real services, or a pure in-memory stand-in)
and ``seed`` (writing a plan through the content services and running every learner).
"""
