"""A TCP proxy on loopback that makes a lab host look far away: each direction's bytes are held for a fixed delay
(the kernel here has no netem). It can also fail as far networks fail: ``freeze()`` holds every byte and closes
nothing (a dead VPN, a suspended laptop), ``drop()`` closes every connection and refuses new ones.

It forwards only to the address it is given (a lab host), runs in a thread of its own (asyncio), and stops with
``close()`` or at the end of a ``with`` block. Used by ``bench/wan.py`` and the tests of far hosts.
"""

from __future__ import annotations

import asyncio
import threading
import time


class DelayProxy:
    def __init__(self, target: tuple[str, int], delay: float, listen: str = "127.0.0.1"):
        self.target, self.delay, self.listen = target, delay, listen
        self.port = 0
        self.frozen = False
        self.dropped = False
        self.connections = 0
        self.bytes_down = 0  # bytes the host sent, forwarded or held
        self.fail_at: tuple[int, str] | None = None  # (bytes, "freeze" or "drop"): fail once the host sent more
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="delay-proxy")

    def __enter__(self) -> "DelayProxy":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the delaying proxy did not start")
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, self.listen, 0))
        self.port = server.sockets[0].getsockname()[1]
        self._server = server
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.dropped:
            writer.close()
            return
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer, down=True), return_exceptions=True)
        for w in (writer, up_writer):
            self._writers.discard(w)
            w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, down: bool = False) -> None:
        """Bytes in order, each chunk sent ``delay`` after it arrived (a queue: later chunks wait no longer)."""
        queue: asyncio.Queue = asyncio.Queue()

        async def send() -> None:
            while True:
                due, data = await queue.get()
                if data is None:
                    if writer.can_write_eof() and not self.dropped:
                        writer.write_eof()
                    return
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                while self.frozen and not self.dropped:
                    await asyncio.sleep(0.05)  # held, never closed
                if self.dropped:
                    return
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(send())
        try:
            while not self.dropped:
                data = await reader.read(65536)
                if not data:
                    break
                if down:
                    self.bytes_down += len(data)
                    if self.fail_at and self.bytes_down > self.fail_at[0] and not (self.frozen or self.dropped):
                        self.freeze() if self.fail_at[1] == "freeze" else self._drop_now()
                queue.put_nowait((time.monotonic() + self.delay, data))
        finally:
            queue.put_nowait((0, None))
            await sender

    def freeze(self) -> None:
        """Hold every byte from now on, in both directions; close nothing."""
        self.frozen = True

    def drop(self) -> None:
        """Close every connection now and refuse new ones."""
        self._loop.call_soon_threadsafe(self._drop_now)

    def _drop_now(self) -> None:
        self.dropped = True
        for w in list(self._writers):
            w.close()

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        self.drop()

        async def stop() -> None:
            self._loop.set_exception_handler(lambda loop, context: None)  # tasks cancelled on purpose
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), self._loop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()
