"""Duty roster engine: model, benchmark reader, CP-SAT solver, independent checker and exports."""
