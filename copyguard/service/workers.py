"""Several worker processes that share the load: the parent accepts, each worker gets the next connection in turn.

uvicorn's own ``--workers`` let every worker accept from one shared socket.
On a busy machine the worker that happens to be on a CPU when a burst of
connections arrives accepts all of it, and keep-alive then pins those
connections to it for good: 8 clients' connections were seen split 8/0,
5/3 and 4/4 over 2 workers, and at 8/0 the second worker idles. One
``SO_REUSEPORT`` socket per worker would not fix it: the kernel spreads
connections by a hash of their addresses, so a few long-lived connections
are still split unevenly by chance (8 over 2 workers: 6/2 or worse 29% of
the time).

Here the parent process accepts every connection and passes it (the file
descriptor, over a Unix socket pair) to the worker with the fewest open
connections, the least recently served first among equals; a worker tells
the parent when one of its connections closes. The parent never reads a
byte of a request. A worker that dies is replaced, with a new channel.
"""

from __future__ import annotations

import asyncio
import logging
import os
import selectors
import signal
import socket
import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

log = logging.getLogger("uvicorn.error")


class Worker(uvicorn.Server):
    """One worker process's server: no listening socket, only the connections the parent passes it."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.channel: socket.socket | None = None
        self.pending: set[asyncio.Task] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        assert sockets and len(sockets) == 1, "a worker is started with its channel to the parent, nothing else"
        self.channel = sockets[0]
        self.channel.setblocking(False)
        self.config.on_close = self._closed  # type: ignore[attr-defined]
        await super().startup(sockets=[])  # the app's lifespan, no listener
        asyncio.get_running_loop().add_reader(self.channel.fileno(), self._receive)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.channel is not None:
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
        await super().shutdown(sockets=[])
        if self.channel is not None:
            self.channel.close()

    def _receive(self) -> None:
        """The parent sent connections: serve each with the same HTTP protocol as a listening server would."""
        assert self.channel is not None
        loop = asyncio.get_running_loop()
        try:
            data, fds, _, _ = socket.recv_fds(self.channel, 1024, 64)
        except (BlockingIOError, InterruptedError):
            return
        if not data and not fds:  # the parent has gone: nothing more will come
            loop.remove_reader(self.channel.fileno())
            self.should_exit = True
            return
        for fd in fds:
            conn = socket.socket(fileno=fd)
            conn.setblocking(False)
            task = loop.create_task(loop.connect_accepted_socket(self._protocol, conn))
            self.pending.add(task)  # held until the connection is set up (the loop keeps only weak references)
            task.add_done_callback(self.pending.discard)

    def _protocol(self) -> asyncio.Protocol:
        return self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state)

    def _closed(self) -> None:
        """Tell the parent that one of this worker's connections has ended."""
        if self.channel is None:
            return
        try:
            self.channel.send(b"c")
        except OSError:  # the parent has gone, or is not reading: it only loses a count
            pass


class WorkerProcess(Process):
    """uvicorn's worker process (health pings, terminate, join) running a ``Worker``."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = Worker(self.config)
        return self._server


class Dispatcher:
    """The parent's accept loop: each new connection goes to the worker with the fewest open connections."""

    def __init__(self, listener: socket.socket, backlog: int) -> None:
        self.listener = listener
        self.backlog = backlog
        self.selector = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.open: dict[socket.socket, int] = {}  # the parent's end of each worker's channel -> open connections
        self.served: dict[socket.socket, int] = {}  # ... -> when it was last given one (a counter)
        self.turn = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="copyguard-dispatch", daemon=True)

    def channel(self) -> socket.socket:
        """A new worker's end of its channel (the parent keeps the other end and starts sending to it)."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        mine.settimeout(5.0)
        with self.lock:
            self.open[mine] = 0
            self.served[mine] = -1
            self.selector.register(mine, selectors.EVENT_READ)
        return theirs

    def start(self) -> None:
        self.listener.listen(self.backlog)
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.listener.close()
        with self.lock:
            for chan in list(self.open):
                self._drop(chan)
        self.selector.close()

    def _run(self) -> None:
        while not self.stopped.is_set():
            ready = self.selector.select(0.25)
            # closes first: a connection that ended before a new one arrived no longer counts when it is placed
            for key, _ in sorted(ready, key=lambda kv: kv[0].fileobj is self.listener):
                if key.fileobj is self.listener:
                    self._accept()
                else:
                    self._heard(key.fileobj)  # type: ignore[arg-type]

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:  # out of file descriptors, say: leave it in the backlog and wait
                log.error("accept failed: %s", err)
                self.stopped.wait(0.1)
                return
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._hand_over(conn)

    def _hand_over(self, conn: socket.socket) -> None:
        with self.lock:
            while self.open:
                chan = min(self.open, key=lambda c: (self.open[c], self.served[c]))
                try:
                    socket.send_fds(chan, [b"n"], [conn.fileno()])
                except OSError as err:  # that worker has died (or stalled for 5 s): try another
                    log.error("a worker stopped taking connections (%s)", err)
                    self._drop(chan)
                    continue
                self.open[chan] += 1
                self.served[chan] = self.turn
                self.turn += 1
                return
        # no worker at all (every one is being replaced): closing is all that can be done with it

    def _heard(self, chan: socket.socket) -> None:
        """A worker's note that connections closed (one byte each), or its end of the channel closing."""
        try:
            data = chan.recv(4096)
        except (TimeoutError, BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        with self.lock:
            if not data:
                self._drop(chan)
            elif chan in self.open:
                self.open[chan] = max(0, self.open[chan] - len(data))

    def _drop(self, chan: socket.socket) -> None:
        if self.open.pop(chan, None) is not None:
            self.served.pop(chan, None)
            self.selector.unregister(chan)
            chan.close()


class Supervisor:
    """Starts ``config.workers`` worker processes, hands them connections, and replaces any that dies."""

    def __init__(self, config: uvicorn.Config, listener: socket.socket) -> None:
        self.config = config
        self.dispatcher = Dispatcher(listener, config.backlog)
        self.processes: list[WorkerProcess] = []
        self.should_exit = threading.Event()

    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.should_exit.set())
        self.processes = [self._spawn() for _ in range(self.config.workers)]
        self.dispatcher.start()
        try:
            while not self.should_exit.wait(0.5):
                self._keep_alive()
        finally:
            self.dispatcher.stop()
            for process in self.processes:
                process.terminate()
            for process in self.processes:
                process.join()

    def _spawn(self) -> WorkerProcess:
        theirs = self.dispatcher.channel()
        process = WorkerProcess(self.config, [theirs])
        process.start()
        theirs.close()  # the worker has its own copy now; the parent must not hold the channel open
        return process

    def _keep_alive(self) -> None:
        for i, process in enumerate(self.processes):
            if self.should_exit.is_set() or process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            _forget_metrics(process.pid)
            if process.exitcode == STARTUP_FAILURE:  # the app cannot start: every replacement would fail alike
                log.error("worker %s failed to start; stopping", process.pid)
                self.should_exit.set()
                return
            log.error("worker %s died (exit code %s); starting another", process.pid, process.exitcode)
            self.processes[i] = self._spawn()


def _forget_metrics(pid: Any) -> None:
    """Drop a dead worker's live gauges (open connections) from the summed metrics."""
    if pid is not None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
