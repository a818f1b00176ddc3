# SPDX-License-Identifier: Apache-2.0
"""Lint every RTL module on its own with `verilator --lint-only -Wall`, no waivers.

    python -m tools.lint
"""

from __future__ import annotations

import subprocess
import sys

from tb.common.build import RTL_SOURCES, verilator_env

from .common import guarded


def lint(top: str) -> tuple[bool, str]:
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", top] + [str(s) for s in RTL_SOURCES]
    out = subprocess.run(cmd, env=verilator_env(), capture_output=True, text=True, check=False)
    text = "\n".join(line for line in (out.stdout + out.stderr).splitlines()
                     if line.startswith("%"))
    return out.returncode == 0 and not text, text


@guarded
def main(argv=None) -> int:
    failed = 0
    for src in RTL_SOURCES:
        ok, text = lint(src.stem)
        print(f"{'ok  ' if ok else 'FAIL'} {src.stem}")
        if not ok:
            failed += 1
            print(text)
    print(f"{len(RTL_SOURCES) - failed} of {len(RTL_SOURCES)} modules lint-clean under -Wall")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
