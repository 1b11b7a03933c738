"""``python -m bench [name ...] [-- args]``: run ``main()`` of each ``bench/<name>_bench.py``
(every one of them when no name is given), passing ``args`` on as their command line."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

words = sys.argv[1:]
names, args = (words[: words.index("--")], words[words.index("--") + 1 :]) if "--" in words else (words, [])
available = sorted(p.name[: -len("_bench.py")] for p in Path(__file__).parent.glob("*_bench.py"))
for name in names or available:
    if name not in available:
        sys.exit(f"no bench named {name!r} (have: {', '.join(available)})")
    sys.argv = [f"bench/{name}_bench.py", *args]
    importlib.import_module(f"bench.{name}_bench").main()
