"""The card's echo and mixed servers, written with asyncio streams.

Both listen on 127.0.0.1, print ``port=<P>`` on stdout once they accept
connections, and serve until SIGTERM or SIGINT. perf/loadgen drives them and
verifies every reply byte.

mixed: each request is one message of ``size`` bytes (64 on the card). The
server burns about ``cpu_us`` microseconds of CPU in a hash loop, and every
tenth request on a connection also makes a 1 ms blocking call through
``asyncio.to_thread``; then it echoes the message back.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time

# Every BLOCKING_EVERY-th request of a connection makes the blocking call.
BLOCKING_EVERY = 10
BLOCKING_CALL_S = 0.001
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1


def fnv1a_rounds(data: bytes, rounds: int) -> int:
    """The mixed row's CPU burn: FNV-1a over the message, ``rounds`` times."""
    digest = FNV_OFFSET
    for _ in range(rounds):
        for byte in data:
            digest = ((digest ^ byte) * FNV_PRIME) & MASK64
    return digest


def calibrate_rounds(size: int, cpu_us: float) -> int:
    """Hash rounds over a ``size``-byte message that take about ``cpu_us``."""
    message = bytes(range(256)) * (size // 256 + 1)
    message = message[:size]
    rounds = 64
    samples = []
    for _ in range(5):
        start = time.perf_counter_ns()
        fnv1a_rounds(message, rounds)
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    per_round_ns = samples[len(samples) // 2] / rounds
    return max(1, round(cpu_us * 1000 / per_round_ns))


async def close(writer: asyncio.StreamWriter) -> None:
    """Closes a connection, consuming the reset the peer may have caused.

    Without the wait, the stream's closed-future keeps that error unretrieved
    and the loop logs it.
    """
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def serve(handler, port: int) -> None:
    server = await asyncio.start_server(handler, "127.0.0.1", port)
    bound_port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"port={bound_port}", flush=True)
    async with server:
        await stop.wait()


async def echo_server(port: int) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass  # The load generator closing mid-request ends the session.
        finally:
            await close(writer)

    await serve(handle, port)


async def mixed_server(port: int, size: int, cpu_us: float) -> None:
    rounds = calibrate_rounds(size, cpu_us)
    print(f"calibrated {rounds} hash rounds for {cpu_us} us per request", file=sys.stderr)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served = 0
        try:
            while True:
                request = await reader.readexactly(size)
                fnv1a_rounds(request, rounds)
                served += 1
                if served % BLOCKING_EVERY == 0:
                    await asyncio.to_thread(time.sleep, BLOCKING_CALL_S)
                writer.write(request)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # The load generator closed the connection.
        finally:
            await close(writer)

    await serve(handle, port)
