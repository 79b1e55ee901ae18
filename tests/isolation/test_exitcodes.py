"""The exit-code table: POSIX signals and Windows NTSTATUS codes, in both signed and unsigned forms."""

from __future__ import annotations

import signal

import pytest

from vectorstore.isolation import classify


@pytest.mark.parametrize(
    ("number", "name", "kind", "words"),
    [
        (signal.SIGSEGV, "SIGSEGV", "native_crash", "segmentation fault"),
        (signal.SIGBUS, "SIGBUS", "native_crash", "bus error"),
        (signal.SIGILL, "SIGILL", "native_crash", "illegal instruction"),
        (signal.SIGFPE, "SIGFPE", "native_crash", "arithmetic"),
        (signal.SIGABRT, "SIGABRT", "abort", "aborted"),
        (signal.SIGKILL, "SIGKILL", "killed", "likely out of memory (the OOM killer) or killed externally"),
        (signal.SIGTERM, "SIGTERM", "terminated", "terminated"),
    ],
)
def test_posix_signals_are_named_with_their_meaning(number: int, name: str, kind: str, words: str) -> None:
    info = classify(-number, platform="linux")
    assert (info.name, info.kind, info.code) == (name, kind, -number)
    assert words in info.meaning
    assert str(info).startswith(f"{name} (")


def test_our_own_kill_is_not_blamed_on_the_oom_killer() -> None:
    for number in (signal.SIGKILL, signal.SIGTERM):
        info = classify(-number, platform="linux", stopped_by_us=True)
        assert info.kind == "stopped" and "supervisor" in info.meaning and "OOM" not in str(info)


def test_unknown_signal_still_says_which() -> None:
    info = classify(-200, platform="linux")
    assert info.name == "signal 200" and info.kind == "terminated"


@pytest.mark.parametrize(
    ("unsigned", "signed", "status", "kind"),
    [
        (3221225477, -1073741819, "STATUS_ACCESS_VIOLATION", "native_crash"),
        (3221225725, -1073741571, "STATUS_STACK_OVERFLOW", "native_crash"),
        (3221226505, -1073740791, "STATUS_STACK_BUFFER_OVERRUN", "abort"),
        (3221226356, -1073740940, "STATUS_HEAP_CORRUPTION", "native_crash"),
        (3221225501, -1073741795, "STATUS_ILLEGAL_INSTRUCTION", "native_crash"),
        (3221225781, -1073741515, "STATUS_DLL_NOT_FOUND", "startup_failure"),
        (3221225794, -1073741502, "STATUS_DLL_INIT_FAILED", "startup_failure"),
    ],
)
def test_windows_ntstatus_in_both_forms(unsigned: int, signed: int, status: str, kind: str) -> None:
    assert unsigned - 2**32 == signed  # the table itself is consistent
    for code in (unsigned, signed):
        info = classify(code, platform="win32")
        assert info.kind == kind
        assert status in info.name and f"0x{unsigned:08X}" in info.name and str(unsigned) in info.name


def test_access_violation_reads_like_a_segfault() -> None:
    info = classify(0xC0000005, platform="win32")
    assert info.name == "exit code 3221225477 = 0xC0000005 STATUS_ACCESS_VIOLATION"
    assert "access violation" in info.meaning


def test_unknown_ntstatus_error_is_still_a_native_crash() -> None:
    info = classify(0xC0001234, platform="win32")
    assert info.kind == "native_crash" and "0xC0001234" in info.name


def test_windows_terminate_process_maps_to_sigterm_as_multiprocessing_reports_it() -> None:
    assert classify(-signal.SIGTERM, platform="win32").kind == "terminated"
    assert classify(-signal.SIGTERM, platform="win32", stopped_by_us=True).kind == "stopped"


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_plain_exit_codes(platform: str) -> None:
    assert classify(0, platform=platform).kind == "clean_exit"
    one = classify(1, platform=platform)
    assert one.kind == "error_exit" and "uncaught Python exception" in one.meaning
    assert classify(3, platform=platform).name == "exit code 3"


def test_shell_style_signal_codes_are_explained() -> None:
    info = classify(128 + signal.SIGSEGV, platform="linux")
    assert info.kind == "error_exit" and "SIGSEGV" in info.meaning and info.name == f"exit code {128 + signal.SIGSEGV}"
