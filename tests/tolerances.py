"""The test suite's tolerance policy, in one place.

* ``CLOSED_FORM_RTOL`` — closed-form and linear-algebra results (no iterative solver):
  relative 1e-10.
* ``SOLVER_ATOL`` / ``SOLVER_RTOL`` — results of an interior-point solve compared with an
  independent method (closed form, scipy): 1e-6, the accuracy Clarabel's default settings
  deliver on these well-scaled problems (cvxpy's own tests use places=5 to 6).
* ``CONSTRAINT_SLACK`` — how far a solver solution may sit outside a constraint: 1e-7
  (weights are clipped to bounds and renormalised after solving, so in practice ~1e-12).
* ``MC_SIGMAS`` — Monte Carlo estimates are compared with exact values within this many
  standard errors, never to a fixed number of digits.
* ``MONEY_ATOL`` — amounts of money (tax, basis, proceeds): exact to the cent.
"""

CLOSED_FORM_RTOL = 1e-10
SOLVER_ATOL = 1e-6
SOLVER_RTOL = 1e-6
CONSTRAINT_SLACK = 1e-7
MC_SIGMAS = 4.0
MONEY_ATOL = 0.005
