"""The station layer of the planner: increments (scenarios), their problems, disruptions and reports.

- :mod:`~spacehome.increment.scenario`: the increment's inputs as frozen values
  (:class:`~spacehome.increment.scenario.Scenario`), the ``spacehome-scenario/1`` JSON file and
  its semantic checks (:func:`~spacehome.increment.scenario.check_scenario`).
- :mod:`~spacehome.increment.generate`: :func:`~spacehome.increment.generate.generate_scenario`,
  a seeded, reproducible scenario of the real station (record + orbit engine), every guess
  labelled synthetic or assumed.
- :mod:`~spacehome.increment.build`: :func:`~spacehome.increment.build.build_problem`, the
  scenario compiled into the generic :class:`~spacehome.planning.problem.Problem` (pure).
- :mod:`~spacehome.increment.shares`: :func:`~spacehome.increment.shares.shares`, what each
  country got from a plan against its entitlement.
- :mod:`~spacehome.increment.windows`: interval helpers shared by the generator and the builder.

Nothing here is imported, loaded or computed when the package is imported.
"""
