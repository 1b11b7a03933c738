"""The simulator library: Quil text -> a small IR, gate matrices, a noise model from a
processor's calibration, and engines that run it.

Used by the controller's job workers and by the QVM-compatible service. It imports nothing of
the web, database or gRPC layers: its inputs are program text, ISA dicts and memory values.
"""
