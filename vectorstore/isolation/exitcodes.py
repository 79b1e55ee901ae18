"""Say in words why a worker process ended, from its exit code alone.

``multiprocessing`` reports death by signal as a negative exit code on POSIX (``-11`` is SIGSEGV) and the raw
``DWORD`` on Windows, where native crashes are NTSTATUS codes (``3221225477`` = ``0xC0000005``, which tools print
signed as ``-1073741819``). Users search for either form, so messages carry the number, its name and what it usually
means. This module is pure: :func:`classify` depends only on its arguments, so the table is unit-tested on any OS.
"""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from typing import Literal

ExitKind = Literal[
    "native_crash",  # invalid memory access, illegal instruction, stack overflow: a bug in native code
    "abort",  # the process aborted itself: assertion, Rust panic=abort, heap-corruption check, fail-fast
    "killed",  # SIGKILL from outside: the OOM killer or an operator
    "stopped",  # ended by our own timeout or shutdown (SIGTERM/SIGKILL sent by the supervisor)
    "terminated",  # asked to stop by someone else (SIGTERM, SIGHUP, Ctrl-C)
    "startup_failure",  # could not load (a missing or broken DLL)
    "error_exit",  # a non-zero exit code chosen by the program
    "clean_exit",  # exit code 0
]

#: Signals by name, with what they usually mean for a vector database worker.
_SIGNALS: dict[str, tuple[ExitKind, str]] = {
    "SIGSEGV": ("native_crash", "segmentation fault: invalid memory access in native code"),
    "SIGBUS": ("native_crash", "bus error: access to unmapped or misaligned memory, e.g. a truncated mapped file"),
    "SIGILL": ("native_crash", "illegal instruction: native code built for another CPU (e.g. AVX) or corrupted"),
    "SIGFPE": ("native_crash", "arithmetic fault in native code, e.g. an integer division by zero"),
    "SIGSYS": ("native_crash", "bad system call, e.g. refused by a seccomp sandbox"),
    "SIGABRT": ("abort", "aborted: a native assertion, a Rust panic or a heap-corruption check"),
    "SIGKILL": ("killed", "killed: likely out of memory (the OOM killer) or killed externally"),
    "SIGTERM": ("terminated", "terminated by another process"),
    "SIGHUP": ("terminated", "hang-up: its terminal or session went away"),
    "SIGINT": ("terminated", "interrupted (Ctrl-C)"),
    "SIGPIPE": ("terminated", "wrote to a closed pipe"),
    "SIGXCPU": ("killed", "CPU time limit exceeded (ulimit -t)"),
    "SIGXFSZ": ("native_crash", "file size limit exceeded (ulimit -f)"),
}

#: Windows NTSTATUS codes a crashing process exits with (unsigned form).
_NTSTATUS: dict[int, tuple[str, ExitKind, str]] = {
    0xC0000005: ("ACCESS_VIOLATION", "native_crash", "access violation: invalid memory access in native code"),
    0xC00000FD: ("STACK_OVERFLOW", "native_crash", "stack overflow, e.g. runaway recursion in native code"),
    0xC000001D: ("ILLEGAL_INSTRUCTION", "native_crash", "illegal instruction: native code built for another CPU"),
    0xC0000094: ("INTEGER_DIVIDE_BY_ZERO", "native_crash", "integer division by zero in native code"),
    0xC0000096: ("PRIVILEGED_INSTRUCTION", "native_crash", "privileged instruction in native code"),
    0xC0000374: ("HEAP_CORRUPTION", "native_crash", "heap corruption detected by the Windows heap"),
    0xC0000017: ("NO_MEMORY", "killed", "out of memory"),
    0xC0000409: ("STACK_BUFFER_OVERRUN", "abort", "fail-fast: abort(), a /GS stack check or a Rust panic=abort"),
    0xC0000135: ("DLL_NOT_FOUND", "startup_failure", "a required DLL was not found"),
    0xC0000142: ("DLL_INIT_FAILED", "startup_failure", "a DLL failed to initialise"),
    0xC0000139: ("ENTRYPOINT_NOT_FOUND", "startup_failure", "a DLL lacks a required function (version mismatch)"),
    0xC000013A: ("CONTROL_C_EXIT", "terminated", "interrupted (Ctrl-C or Ctrl-Break)"),
}


@dataclass(frozen=True)
class ExitInfo:
    """A classified exit: ``name`` is what to search for, ``meaning`` what it usually implies."""

    code: int
    kind: ExitKind
    name: str
    meaning: str

    def __str__(self) -> str:
        return f"{self.name} ({self.meaning})"


def _signal_name(number: int) -> str | None:
    try:
        return signal.Signals(number).name
    except ValueError:
        return None


def classify(code: int, *, platform: str = sys.platform, stopped_by_us: bool = False) -> ExitInfo:
    """Classify ``Process.exitcode`` of an ended worker.

    :param code: the exit code as ``multiprocessing`` reports it (signed or unsigned NTSTATUS both accepted).
    :param platform: ``sys.platform`` of the host, since Windows and POSIX read the same number differently.
    :param stopped_by_us: the supervisor sent the fatal SIGTERM/SIGKILL itself (a timeout or a shutdown), so a
        SIGKILL is not blamed on the OOM killer.
    """
    windows = platform.startswith("win")
    if code == 0:
        return ExitInfo(code, "clean_exit", "exit code 0", "exited normally")
    if windows and code == -signal.SIGTERM:  # multiprocessing reports its TerminateProcess as -SIGTERM
        if stopped_by_us:
            return ExitInfo(code, "stopped", "TerminateProcess", "stopped by the supervisor")
        return ExitInfo(code, "terminated", "TerminateProcess", "terminated by another process")
    if windows:
        unsigned = code & 0xFFFFFFFF
        known = _NTSTATUS.get(unsigned)
        if known is not None:
            status, kind, meaning = known
            return ExitInfo(code, kind, f"exit code {unsigned} = 0x{unsigned:08X} STATUS_{status}", meaning)
        if unsigned >= 0xC0000000:
            return ExitInfo(code, "native_crash", f"exit code {unsigned} = 0x{unsigned:08X}", "an NTSTATUS error code")
        return _exit_code(code)
    if code < 0:
        name = _signal_name(-code) or f"signal {-code}"
        kind, meaning = _SIGNALS.get(name, ("terminated", f"killed by signal {-code}"))
        if stopped_by_us and name in ("SIGKILL", "SIGTERM"):
            kind, meaning = "stopped", "stopped by the supervisor"
        return ExitInfo(code, kind, name, meaning)
    shell_signal = _signal_name(code - 128) if 128 < code < 160 else None
    if shell_signal is not None:  # a wrapper that re-exits with the shell's 128+N convention
        return ExitInfo(code, "error_exit", f"exit code {code}", f"how a shell reports death by {shell_signal}")
    return _exit_code(code)


def _exit_code(code: int) -> ExitInfo:
    if code == 1:
        return ExitInfo(code, "error_exit", "exit code 1", "usually an uncaught Python exception; see its stderr")
    return ExitInfo(code, "error_exit", f"exit code {code}", "the worker exited on its own")
