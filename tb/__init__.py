# SPDX-License-Identifier: Apache-2.0
"""cocotb testbenches of the SPIRIT twin: one per RTL block and one for the whole chip."""
