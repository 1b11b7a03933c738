"""Regenerate the committed *_pb2*.py modules from the .proto files next to this script.

Run from anywhere: ``python src/openqcs/execution/proto/generate.py`` (needs grpcio-tools,
in the test extras). The generated modules are committed so the server needs no compiler.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    import grpc_tools
    from grpc_tools import protoc

    here = Path(__file__).resolve().parent
    src = here.parents[2]
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(str(p.relative_to(src)) for p in here.glob("*.proto"))
    args = ["protoc", f"-I{src}", f"-I{well_known}", f"--python_out={src}", f"--pyi_out={src}",
            f"--grpc_python_out={src}", *protos]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")


if __name__ == "__main__":
    main()
