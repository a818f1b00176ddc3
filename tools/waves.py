# SPDX-License-Identifier: Apache-2.0
"""Save files that open a trace of spirit_tb_top with the interesting signals grouped:
a GTKWave save file (.gtkw, which names the dump), a GTKWave script that zooms onto the first
images (.tcl), and a Surfer command file (.sucl)."""

from __future__ import annotations

from pathlib import Path

from model import ChipConfig

# GTKWave display flags: hex, decimal, signed decimal, binary (all right-justified)
HEX, DEC, SDEC, BIN = 0x22, 0x24, 0x424, 0x28
# traces come from the C++ harness, whose hierarchy starts at TOP
TOP = "TOP.spirit_tb_top"
CHIP = f"{TOP}.u_chip"


def groups(cfg: ChipConfig) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(group name, [(path, width, format)]) for a configuration."""
    n, nw = cfg.n_neurons, cfg.neur_w
    return [
        ("clock and reset", [(f"{TOP}.clk", 1, BIN), (f"{TOP}.rst_n", 1, BIN)]),
        ("input events (s_aer)", [
            (f"{CHIP}.s_aer_valid_i", 1, BIN), (f"{CHIP}.s_aer_ready_o", 1, BIN),
            (f"{CHIP}.s_aer_data_i", cfg.addr_w + 1, HEX),
            (f"{CHIP}.u_router.fifo_level_o", len(bin(cfg.in_fifo_depth)) - 2, DEC),
            (f"{CHIP}.u_router.ev_valid_o", 1, BIN), (f"{CHIP}.u_router.ev_row_o", cfg.row_w, DEC),
            (f"{CHIP}.u_router.ev_eoi_o", 1, BIN), (f"{CHIP}.u_router.drop_o", 1, BIN)]),
        ("controller", [
            (f"{CHIP}.active_q", 1, BIN), (f"{CHIP}.decided_q", 1, BIN),
            (f"{CHIP}.skip", 1, BIN), (f"{CHIP}.clear", 1, BIN),
            (f"{CHIP}.done_o", 1, BIN), (f"{CHIP}.class_o", nw, DEC)]),
        ("crossbar read", [
            (f"{CHIP}.u_xbar.req_valid_i", 1, BIN), (f"{CHIP}.u_xbar.req_row_i", cfg.row_w, DEC),
            (f"{CHIP}.u_xbar.w_valid_o", 1, BIN), (f"{CHIP}.u_xbar.w_o", n * cfg.w_w, HEX)]),
        ("neurons", [(f"{CHIP}.u_neurons.step_i", 1, BIN),
                     (f"{CHIP}.u_neurons.fire_pos_o", n, BIN),
                     (f"{CHIP}.u_neurons.fire_neg_o", n, BIN)] +
         [(f"{CHIP}.u_neurons.v_q[{j}]", cfg.v_w, SDEC) for j in range(n)]),
        ("decision", [(f"{CHIP}.u_decision.cnt_q[{j}]", cfg.cnt_w, SDEC) for j in range(n)] + [
            (f"{CHIP}.u_decision.top_o", cfg.cnt_w, SDEC),
            (f"{CHIP}.u_decision.second_o", cfg.cnt_w, SDEC),
            (f"{CHIP}.u_decision.gap_reached_o", 1, BIN),
            (f"{CHIP}.u_decision.class_o", nw, DEC)]),
        ("output events (m_aer)", [
            (f"{CHIP}.u_out.pend_q", n, BIN), (f"{CHIP}.u_out.rr_q", nw, DEC),
            (f"{CHIP}.m_aer_valid_o", 1, BIN), (f"{CHIP}.m_aer_ready_i", 1, BIN),
            (f"{CHIP}.m_aer_data_o", cfg.out_w, HEX)]),
    ]


def write_save_files(cfg: ChipConfig, dump: Path, start_ps: int = 0,
                     span_ps: int = 0) -> tuple[Path, Path, Path]:
    """Write <dump>.gtkw, <dump>.tcl (zoom from start_ps over span_ps, or the whole run) and
    <dump>.sucl beside the dump; return their paths."""
    dump = Path(dump).resolve()
    gtkw, tcl, sucl = (dump.with_suffix(s) for s in (".gtkw", ".tcl", ".sucl"))
    lines = ["[*] GTKWave save file for the SPIRIT twin", f'[dumpfile] "{dump}"',
             f"[timestart] {start_ps}", "[size] 1600 1000", "[treeopen] TOP.",
             f"[treeopen] {TOP}.", f"[treeopen] {CHIP}."]
    cmds = [f"load_file {dump}"]
    for title, signals in groups(cfg):
        lines += ["@200", f"-{title}"]
        cmds.append(f"divider_add {title.replace(' ', '_')}")
        for path, width, fmt in signals:
            lines += [f"@{fmt:x}", path + (f"[{width - 1}:0]" if width > 1 else "")]
            cmds.append(f"variable_add {path}")
    cmds.append("zoom_fit")
    gtkw.write_text("\n".join(lines) + "\n")
    sucl.write_text("\n".join(cmds) + "\n")
    zoom = (f"gtkwave::setZoomRangeTimes {start_ps} {start_ps + span_ps}" if span_ps else
            "gtkwave::/Time/Zoom/Zoom_Full")
    tcl.write_text(f"# zoom onto the traced window\n{zoom}\n")
    return gtkw, tcl, sucl
