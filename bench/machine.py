"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path


def _first(path: str, key: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":" if ":" in line else "=")
        if name.strip() == key:
            return value.strip().strip('"')
    return None


def describe() -> list[str]:
    """One line per fact: CPU, RAM, OS, Python, Pulumi SDK."""
    cpu = _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    mem_kb = _first("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kb.split()[0]) / 1024**2:.1f} GiB" if mem_kb else "unknown"
    system = _first("/etc/os-release", "PRETTY_NAME") or platform.system()
    return [
        f"CPU:    {cpu}, {os.cpu_count()} logical CPUs",
        f"RAM:    {ram}",
        f"OS:     {system}, kernel {platform.release()}",
        f"Python: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"Pulumi: Python SDK {metadata.version('pulumi')} (host: python -m pulumi.dynamic)",
    ]
