"""Print (or, with --write, put into docs/api-contract.md) the table of every API route and the roles
that may call it, from the app's own route table, so the document cannot drift from the code.

    .venv/bin/python scripts/route_table.py [--write]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api-contract.md"
HEADER = "| method | path | roles |\n|---|---|---|\n"


def rows() -> list[tuple[str, str, str]]:
    sys.path.insert(0, str(ROOT))
    from server.app import create_app
    from server.settings import Settings

    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"), migrate=False)
    out = []
    for route in app.routes:
        if not route.path.startswith("/api/"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(getattr(handler, "http_methods", ()) - {"OPTIONS"}):
                roles = "public" if handler.opt.get("public") else ", ".join(sorted(handler.opt.get("roles", ())))
                out.append((method, route.path, roles))
    return sorted(out, key=lambda r: (r[1], r[0]))


def table() -> str:
    return HEADER + "".join(f"| {m} | `{p}` | {r} |\n" for m, p, r in rows())


def documented() -> str:
    """The table as docs/api-contract.md has it now."""
    text = DOC.read_text(encoding="utf-8")
    m = re.search(re.escape(HEADER) + r"(?:\|.*\|\n)*", text)
    return m.group(0) if m else ""


def main() -> int:
    if "--write" in sys.argv:
        text = DOC.read_text(encoding="utf-8")
        DOC.write_text(text.replace(documented(), table()), encoding="utf-8")
    else:
        sys.stdout.write(table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
