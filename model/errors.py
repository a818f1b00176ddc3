# SPDX-License-Identifier: Apache-2.0
"""Errors that reach the user: each message says what is wrong and what to do."""


class SpiritError(Exception):
    """A user-facing error: bad parameter, missing or corrupt file. Printed as one line."""


class ConfigError(SpiritError):
    """A chip parameter or setting is out of range."""


class DataError(SpiritError):
    """A dataset or weights file is missing, truncated or corrupt."""
