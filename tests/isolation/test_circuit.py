"""The circuit breaker on its own, with a clock the test moves (the store-level behaviour is in test_faults)."""

from __future__ import annotations

from vectorstore.isolation.circuit import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_consecutive_deaths_only() -> None:
    breaker = CircuitBreaker(3, 10.0, Clock())
    assert [breaker.record_death(), breaker.record_death()] == [False, False]
    breaker.record_success()  # a healthy call in between resets the count
    assert [breaker.record_death(), breaker.record_death()] == [False, False]
    assert breaker.state == "closed"
    assert breaker.record_death() is True
    assert breaker.state == "open" and breaker.times_opened == 1


def test_cooldown_then_half_open_then_close_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 10.0, clock)
    breaker.record_death()
    clock.now += 4.0
    assert breaker.state == "open" and breaker.remaining_s() == 6.0
    clock.now += 6.0
    assert breaker.state == "half_open" and breaker.remaining_s() == 0.0
    assert breaker.record_success() is True
    assert breaker.state == "closed" and breaker.failures == 0
    assert breaker.record_success() is False  # already closed: nothing to announce


def test_a_death_while_half_open_reopens_for_a_full_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(2, 5.0, clock)
    breaker.record_death()
    breaker.record_death()
    clock.now += 5.0
    assert breaker.state == "half_open"
    assert breaker.record_death() is True
    assert breaker.state == "open" and breaker.remaining_s() == 5.0 and breaker.times_opened == 2
