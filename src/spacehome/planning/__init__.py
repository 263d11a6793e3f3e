"""The scheduling core: problems, solvers (CP-SAT and greedy), the validator, PSPLIB instances."""
