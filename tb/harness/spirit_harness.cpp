// SPDX-License-Identifier: Apache-2.0
//
// The whole-chip testbench top run from C++ alone, with no Python: the same Verilator model
// and the same HDL transactors as the cocotb testbench. `make bench` times it against the
// cocotb run; `make sim WAVES=1` uses it to trace a window of a run.
//
//   spirit_harness <register writes> <stimulus words> [<trace file> image|cycle <first> <count>]
//
// After reset it performs the register writes of the first file ("addr value" per line, hex),
// as the cocotb testbench does over the same bus, then runs one batch of <stimulus words>
// words from spirit_stim.bin and prints one JSON line: cycles, images, output words, and the
// wall-clock seconds of the batch alone. With a trace file (and a build with tracing), it
// dumps only the window: images first .. first+count-1 of the batch, or its cycles
// first .. first+count-1.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <cstring>
#include <string>

#include "Vtop.h"
#include "Vtop___024root.h"
#include "verilated.h"
#if VM_TRACE_FST
#include "verilated_fst_c.h"
using Trace = VerilatedFstC;
#elif VM_TRACE
#include "verilated_vcd_c.h"
using Trace = VerilatedVcdC;
#endif

namespace {

std::unique_ptr<VerilatedContext> ctx;
std::unique_ptr<Vtop> top;

Vtop___024root& root() { return *top->rootp; }

#if VM_TRACE
std::unique_ptr<Trace> trace;
#endif
bool window_by_image = true;
unsigned long window_first = 0, window_count = 0;
// simulation time (ps) of the first and last dump
unsigned long long dumped_from = 0, dumped_to = 0;

// inside the window to trace (batch images or batch cycles)
bool in_window() {
    auto& r = root();
    if (!r.spirit_tb_top__DOT__running) return false;
    const unsigned long at = window_by_image ? r.spirit_tb_top__DOT__n_rec
                                             : r.spirit_tb_top__DOT__n_cycles;
    return at >= window_first && at < window_first + window_count;
}

// advance to just after the next rising clock edge
bool posedge() {
    while (!ctx->gotFinish() && top->eventsPending()) {
        const bool before = root().spirit_tb_top__DOT__clk;
        ctx->time(top->nextTimeSlot());
        top->eval();
#if VM_TRACE
        if (trace && in_window()) {
            if (!dumped_to) dumped_from = ctx->time();
            dumped_to = ctx->time();
            trace->dump(ctx->time());
        }
#endif
        if (!before && root().spirit_tb_top__DOT__clk) return true;
    }
    return false;
}

bool reg_write(unsigned addr, unsigned value) {
    auto& r = root();
    r.spirit_tb_top__DOT__reg_req = 1;
    r.spirit_tb_top__DOT__reg_we = 1;
    r.spirit_tb_top__DOT__reg_addr = addr;
    r.spirit_tb_top__DOT__reg_wdata = value;
    top->eval();
    for (int i = 0; i < 1000; ++i) {
        const bool granted = r.spirit_tb_top__DOT__reg_gnt;
        if (!posedge()) return false;
        if (granted) break;
    }
    r.spirit_tb_top__DOT__reg_req = 0;
    top->eval();
    for (int i = 0; i < 1000; ++i) {
        if (r.spirit_tb_top__DOT__reg_rvalid) {
            const bool err = r.spirit_tb_top__DOT__reg_err;
            posedge();
            return !err;
        }
        if (!posedge()) return false;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s <register writes> <stimulus words>\n", argv[0]);
        return 2;
    }
    ctx = std::make_unique<VerilatedContext>();
    top = std::make_unique<Vtop>(ctx.get());
    if (argc >= 7) {
#if VM_TRACE
        window_by_image = std::strcmp(argv[4], "cycle") != 0;
        window_first = std::strtoul(argv[5], nullptr, 10);
        window_count = std::strtoul(argv[6], nullptr, 10);
        ctx->traceEverOn(true);
        trace = std::make_unique<Trace>();
        top->trace(trace.get(), 99);
        trace->open(argv[3]);
#else
        std::fprintf(stderr, "this harness was built without tracing\n");
        return 2;
#endif
    }
    top->eval();
    for (int i = 0; i < 20; ++i) posedge();     // the testbench top's own power-on reset

    std::FILE* regs = std::fopen(argv[1], "r");
    if (!regs) {
        std::fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    unsigned addr, value;
    while (std::fscanf(regs, "%x %x", &addr, &value) == 2) {
        if (!reg_write(addr, value)) {
            std::fprintf(stderr, "register write %02x <- %x failed\n", addr, value);
            return 1;
        }
    }
    std::fclose(regs);

    auto& r = root();
    r.spirit_tb_top__DOT__stim_len = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
    r.spirit_tb_top__DOT__seed = 1;
    r.spirit_tb_top__DOT__start = 1;
    const auto t0 = std::chrono::steady_clock::now();
    while (!r.spirit_tb_top__DOT__batch_done) {
        if (!posedge()) {
            std::fprintf(stderr, "the simulation ended before the batch did\n");
            return 1;
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"cycles\": %u, \"images\": %u, \"out_words\": %u, \"hang\": %d, "
                "\"seconds\": %.6f, \"dumped_from_ps\": %llu, \"dumped_to_ps\": %llu}\n",
                r.spirit_tb_top__DOT__n_cycles, r.spirit_tb_top__DOT__n_rec,
                r.spirit_tb_top__DOT__n_out, static_cast<int>(r.spirit_tb_top__DOT__hang),
                seconds, dumped_from, dumped_to);
    const int code = r.spirit_tb_top__DOT__hang ? 1 : 0;
    top->final();
#if VM_TRACE
    if (trace) trace->close();
    trace.reset();
#endif
    // release the model before Verilator's own statics go at exit
    top.reset();
    ctx.reset();
    return code;
}
