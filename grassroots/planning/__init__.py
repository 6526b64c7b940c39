"""Planning: the duty roster engine (CP-SAT), its benchmark-format reader, checker and exports.

The engine in ``roster/`` is plain Python on dataclasses so that a Django layer (HR pages, rotation
planner, stored rosters) can fill a problem from the database and store the plan it returns.
"""
