"""The `ustaz` command: main.py parses and runs; each other module adds the subcommands of one task."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

from bot.config import Settings

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]
Register = Callable[[str], Callable[[Command], Command]]  # main.command: files a subcommand's function
