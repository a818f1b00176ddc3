# SPDX-License-Identifier: Apache-2.0
"""Pieces shared by the testbenches: build and run, bus agents, scoreboard, chip environment."""
