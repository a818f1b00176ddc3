# SPDX-License-Identifier: Apache-2.0
"""spirit_xbar_ctrl built with INIT_FILE: the RRAM array starts with the cells of a $readmemh
image (tb/xbar_init/cells.hex) instead of all in HRS. Nothing is programmed: every synapse
reads back its word from the image through the cell port, and every row read by an event gives
the weights of the image's cells."""

from __future__ import annotations

from pathlib import Path

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge, Timer

from model.config import clog2
from tb.common.blocks import params, reset, start_clock


class Image:
    """The array image: one hex row per line, in the row layout of rtl/spirit_rram_array.v
    (for neuron j, side s (0 excitatory, 1 inhibitory) and cell c, bit (2*j + s)*CELLS + c)."""

    def __init__(self, path: Path, n_inputs: int, n_neurons: int, cells: int):
        self.rows = [int(x, 16) for x in path.read_text().split()]
        assert len(self.rows) == n_inputs, f"{path}: {len(self.rows)} rows, {n_inputs} needed"
        self.n, self.cells = n_neurons, cells

    def word(self, row: int, col: int) -> int:
        """CELL_DATA word of a synapse: {inhibitory cells, excitatory cells}."""
        return self.rows[row] >> (2 * col * self.cells) & ((1 << (2 * self.cells)) - 1)

    def weight(self, row: int, col: int) -> int:
        word = self.word(row, col)
        exc, inh = word & ((1 << self.cells) - 1), word >> self.cells
        return bin(exc).count("1") - bin(inh).count("1")


def _signed(value: int, width: int) -> int:
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value


@cocotb.test()
async def preloaded_cells(dut):
    """Cell reads of every synapse, then an event read of every row, against the image."""
    p = params()
    n_in, n, cells = p["N_INPUTS"], p["N_NEURONS"], p["CELLS"]
    image = Image(Path(p["INIT_FILE"]), n_in, n, cells)
    w_w = clog2(cells + 1) + 1
    start_clock(dut)
    await reset(dut, req_valid_i=0, req_row_i=0, w_ready_i=0, cell_req_i=0, cell_we_i=0,
                cell_row_i=0, cell_col_i=0, cell_wdata_i=0)
    d = dut
    for row in range(n_in):
        for col in range(n):
            d.cell_req_i.value, d.cell_row_i.value, d.cell_col_i.value = 1, row, col
            await ReadOnly()
            assert int(d.cell_gnt_o.value) == 1, "cell_gnt_o: expected 1 with no event, actual 0"
            await RisingEdge(d.clk_i)
            d.cell_req_i.value = 0
            await ReadOnly()
            got = (int(d.cell_rvalid_o.value), int(d.cell_rdata_o.value))
            assert got == (1, image.word(row, col)), \
                f"synapse ({row}, {col}): (cell_rvalid_o, cell_rdata_o) expected " \
                f"(1, {image.word(row, col):#x}), actual ({got[0]}, {got[1]:#x})"
            await Timer(1, unit="ns")
    for row in range(n_in):
        d.req_valid_i.value, d.req_row_i.value = 1, row
        await ReadOnly()
        assert int(d.req_ready_o.value) == 1, "req_ready_o: expected 1 when idle, actual 0"
        await RisingEdge(d.clk_i)
        d.req_valid_i.value = 0
        await ReadOnly()
        assert int(d.w_valid_o.value) == 1, f"row {row}: w_valid_o expected 1, actual 0"
        raw = int(d.w_o.value)
        got = [_signed(raw >> (j * w_w), w_w) for j in range(n)]
        want = [image.weight(row, j) for j in range(n)]
        assert got == want, f"row {row}: weights expected {want}, actual {got}"
        await Timer(1, unit="ns")
        d.w_ready_i.value = 1
        await RisingEdge(d.clk_i)
        d.w_ready_i.value = 0
    dut._log.info("%d synapses and %d rows read as the image holds them", n_in * n, n_in)
