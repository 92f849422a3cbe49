"""The card's compute-only rows, written the way an asyncio user would.

Each benchmark is a coroutine ``run(n) -> list[Measurement]`` that runs as the
main task of ``asyncio.run`` (so "from inside a running task" holds), checks its
own result and raises VerificationError on a mismatch. Timings cover the work
only, not interpreter or loop start-up.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

from figures import VerificationError

# Tasks of the yield row; --n sets how often each yields (1,000 on the card).
YIELD_TASKS = 1_000
# Fan-out of every skynet node.
SKYNET_FANOUT = 10
# The timers row sleeps task i for d_i ms, d_i uniform in [0, TIMER_SPAN_MS).
TIMER_SPAN_MS = 100
TIMER_SEED = 0x5EED


@dataclass(frozen=True)
class Measurement:
    metric: str
    value: float
    unit: str


def splitmix64(state: int) -> tuple[int, int]:
    """One step of SplitMix64; returns (new_state, output).

    The fiber peer uses the same generator, so both sleep the same d_i.
    """
    mask = (1 << 64) - 1
    state = (state + 0x9E3779B97F4A7C15) & mask
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return state, z ^ (z >> 31)


def timer_delays_ms(n: int) -> list[int]:
    delays = []
    state = TIMER_SEED
    for _ in range(n):
        state, value = splitmix64(state)
        delays.append(value % TIMER_SPAN_MS)
    return delays


def expect(actual: int, expected: int, what: str) -> None:
    if actual != expected:
        raise VerificationError(f"{what}: got {actual}, expected {expected}")


async def spawn(n: int) -> list[Measurement]:
    async def child(i: int) -> int:
        return i

    start = time.perf_counter_ns()
    tasks = [asyncio.create_task(child(i)) for i in range(n)]
    total = 0
    for task in tasks:
        total += await task
    elapsed = time.perf_counter_ns() - start
    expect(total, n * (n - 1) // 2, "spawn sum")
    return [Measurement("ns_per_task", elapsed / n, "ns")]


async def yield_(n: int) -> list[Measurement]:
    counts = [0] * YIELD_TASKS

    async def yielder(index: int) -> None:
        for _ in range(n):
            # sleep(0) is asyncio's documented way to yield to the loop.
            await asyncio.sleep(0)
            counts[index] += 1

    start = time.perf_counter_ns()
    await asyncio.gather(*(yielder(i) for i in range(YIELD_TASKS)))
    elapsed = time.perf_counter_ns() - start
    expect(sum(counts), YIELD_TASKS * n, "yield count")
    return [Measurement("ns_per_yield", elapsed / (YIELD_TASKS * n), "ns")]


async def pingpong(n: int) -> list[Measurement]:
    to_pong: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    to_ping: asyncio.Queue[int] = asyncio.Queue(maxsize=1)

    async def ping() -> int:
        checked = 0
        for token in range(n):
            await to_pong.put(token)
            expect(await to_ping.get(), token, "pingpong token")
            checked += 1
        return checked

    async def pong() -> None:
        for _ in range(n):
            await to_ping.put(await to_pong.get())

    start = time.perf_counter_ns()
    pong_task = asyncio.create_task(pong())
    round_trips = await ping()
    await pong_task
    elapsed = time.perf_counter_ns() - start
    expect(round_trips, n, "pingpong round trips")
    return [Measurement("ns_per_round_trip", elapsed / n, "ns")]


async def skynet_node(first_leaf: int, leaves: int) -> int:
    if leaves == 1:
        return first_leaf
    share = leaves // SKYNET_FANOUT
    children = [
        asyncio.create_task(skynet_node(first_leaf + i * share, share))
        for i in range(SKYNET_FANOUT)
    ]
    total = 0
    for child in children:
        total += await child
    return total


def is_skynet_size(n: int) -> bool:
    """skynet's leaf count must be a power of the fan-out."""
    while n > 1 and n % SKYNET_FANOUT == 0:
        n //= SKYNET_FANOUT
    return n == 1


async def skynet(n: int) -> list[Measurement]:
    start = time.perf_counter_ns()
    total = await skynet_node(0, n)
    elapsed = time.perf_counter_ns() - start
    expect(total, n * (n - 1) // 2, "skynet sum")
    return [Measurement("wall_ms", elapsed / 1e6, "ms")]


async def timers(n: int) -> list[Measurement]:
    delays = timer_delays_ms(n)
    loop = asyncio.get_running_loop()
    early: list[int] = []

    async def sleeper(delay_ms: int, start: float) -> None:
        await asyncio.sleep(delay_ms / 1000)
        # The loop clock may round a deadline down by its resolution.
        if loop.time() - start < delay_ms / 1000 - 0.001:
            early.append(delay_ms)

    cpu_start = time.process_time()
    start_ns = time.perf_counter_ns()
    start = loop.time()
    await asyncio.gather(*(sleeper(d, start) for d in delays))
    wall_ms = (time.perf_counter_ns() - start_ns) / 1e6
    cpu_s = time.process_time() - cpu_start
    expect(len(early), 0, "timers woken before their deadline")
    if wall_ms < max(delays, default=0):
        raise VerificationError(f"timers finished in {wall_ms:.1f} ms, before the longest sleep")
    return [Measurement("wall_ms", wall_ms, "ms"), Measurement("cpu_s", cpu_s, "s")]


async def inject(n: int) -> list[Measurement]:
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    # Callbacks run only on the loop thread, so a plain int is the asyncio
    # equivalent of the card's atomic counter.
    counter = 0

    def increment() -> None:
        nonlocal counter
        counter += 1
        if counter == n:
            done.set()

    submitted = 0

    def submitter() -> None:
        nonlocal submitted
        for _ in range(n):
            loop.call_soon_threadsafe(increment)
        submitted = time.perf_counter_ns()

    thread = threading.Thread(target=submitter, name="inject-submitter")
    start = time.perf_counter_ns()
    thread.start()
    await done.wait()
    finished = time.perf_counter_ns()
    thread.join()
    expect(counter, n, "inject callbacks run")
    return [Measurement("ns_per_submission", (submitted - start) / n, "ns"),
            Measurement("ns_per_callback_end_to_end", (finished - start) / n, "ns")]


def identity(value: int) -> int:
    return value


async def to_thread(n: int) -> list[Measurement]:
    total = 0
    start = time.perf_counter_ns()
    for i in range(n):
        total += await asyncio.to_thread(identity, i)
    elapsed = time.perf_counter_ns() - start
    expect(total, n * (n - 1) // 2, "to_thread results")
    return [Measurement("us_per_round_trip", elapsed / n / 1000, "us")]
