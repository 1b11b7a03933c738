"""Simulation engines: qiskit-aer (default) and a numpy reference interpreter (the oracle)."""
