# SPDX-License-Identifier: Apache-2.0
"""Lint every RTL module on its own with `verilator --lint-only -Wall`, no waivers.

    python -m tools.lint
"""

from __future__ import annotations

import subprocess
import sys

from tb.common.build import RTL_SOURCES, verilator_env

from .common import guarded

# modules linted once more with parameters that switch on other code: the device array and
# multi-level cells (the default parameters lint the ideal, single-level path)
VARIANTS = (
    ("spirit_rram_array", {"DEVICE": 1, "CODE_W": 4}),
    ("spirit_rram_array", {"STATE_W": 3, "CODE_W": 4, "N_STATES": 5}),
    ("spirit_chip", {"N_INPUTS": 40, "N_NEURONS": 5, "CELLS": 4, "ADDR_W": 6, "V_W": 8,
                     "MLC": 1, "CODE_W": 4, "SENSE_REF": 5, "STEP_SHIFT": 1, "DEVICE": 1}),
)


def lint(top: str, params: dict | None = None) -> tuple[bool, str]:
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", top]
    cmd += [f"-G{k}={v}" for k, v in (params or {}).items()]
    cmd += [str(s) for s in RTL_SOURCES]
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
    for top, params in VARIANTS:
        ok, text = lint(top, params)
        label = " ".join(f"{k}={v}" for k, v in params.items())
        print(f"{'ok  ' if ok else 'FAIL'} {top} {label}")
        if not ok:
            failed += 1
            print(text)
    total = len(RTL_SOURCES) + len(VARIANTS)
    print(f"{total - failed} of {total} modules and variants lint-clean under -Wall")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
