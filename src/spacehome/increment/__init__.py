"""The station layer of the planner: increments (scenarios), their problems, disruptions and reports."""
