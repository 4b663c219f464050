"""After `make docs`: every built page opened in headless Chromium at a laptop's width (1280 px), and nothing on
it may run past its box or the window (clipped code blocks, wide tables, images). Skips, saying so, where
Chromium is not installed. Exit 1 with the pages and elements that overflow."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent / "_build" / "html"


def overflow(page: Path, browser: str) -> list[str]:
    out = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                          "--virtual-time-budget=5000", "--dump-dom", page.as_uri() + "?check-overflow"],
                         capture_output=True, text=True, timeout=120).stdout
    m = re.search(r'data-overflow="([^"]*)"', out)
    if m is None:
        return ["the page's check did not run"]
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("docs/check_pages.py: no Chromium here; pages not checked for overflow")
        return 0
    pages = sorted(p for p in SITE.rglob("*.html") if "_static" not in p.parts and p.name not in ("search.html", "genindex.html"))
    bad = {}
    for page in pages:
        found = overflow(page, browser)
        if found:
            bad[str(page.relative_to(SITE))] = found
    for page, found in bad.items():
        print(f"{page}: {len(found)} element(s) overflow, e.g. {found[0]!r}", file=sys.stderr)
    print(f"docs/check_pages.py: {len(pages)} pages, {len(bad)} with content past its box")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
