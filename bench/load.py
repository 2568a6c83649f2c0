"""Load on `copyguard serve`: throughput and latency by workers and concurrent clients, memory, takedown lag.

    python bench/load.py                      # 1 and 2 workers x 1, 4, 8, 16 clients, 8 s each
    python bench/load.py --seconds 4 --clients 1 8

Everything runs on this machine over loopback: the server is the real
`copyguard serve` process; the clients are one asyncio process speaking raw
HTTP/1.1 with keep-alive (cheap per request, so the server gets the cores).
Index: the bundled sample corpus (18 sources); every request checks the
sample answer (2 KB: a renamed tomli function and an edited Jargon File
paragraph), so the spread of latencies is the server's, not the mix's;
``--mix`` rotates it with a verbatim distro.py method and clean prose.

Each cell also says how the work was spread: the connections each worker
accepted and the checks each answered (from /metrics, scraped over one
connection of its own before and after the cell), the server's CPU time
per check (all its processes, from /proc: less sensitive to other load
on the machine than requests/s), and the 1-minute load average when the
cell started. Throughput ratios taken on a busy machine mean little: read
the load column.

Also measured: the server's resident memory (all its processes) under one
100 MB body and under 200 parallel connections, and the lag from an
`index remove` commit in another process to the last answer that still
names the removed source, with 8 clients checking throughout (client
errors and worker deaths in the server's log are counted, not fatal).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "copyguard" / "samples"
TOMLI = "corpus/tomli/_parser.py"


def answers() -> list[str]:
    answer = (SAMPLES / "answer.md").read_text()
    distro = (SAMPLES / "corpus" / "distro" / "distro.py").read_text()
    method = distro[distro.index("def _parse_distro_release_content"):][:1500]
    clean = ("Sure. To read a configuration file, open it, parse each line into a key and a value, "
             "skip comments, and keep the values in a dictionary keyed by section. ") * 8
    return [answer, f"Here you go:\n\n```python\n{method}\n```\n", clean]


class Server:
    def __init__(self, index: Path, *flags: str) -> None:
        cmd = [sys.executable, "-m", "copyguard", "serve", "--index", str(index), "--port", "0", "--no-access-log", *flags]
        self.errors = tempfile.TemporaryFile("w+")  # the server's log: worker deaths show there
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.errors, text=True)
        line = self.proc.stdout.readline()
        self.port = int(re.search(r":(\d+)/", line).group(1))

    def log(self) -> str:
        self.errors.seek(0)
        return self.errors.read()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's live processes so far."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def pids(self) -> list[int]:
        """The server and its worker processes."""
        out = [self.proc.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                out.append(int(stat.parent.name))
        return out

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def request(path: str, body: dict) -> bytes:
    data = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


async def read_reply(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    return int(head.split()[1]), await reader.readexactly(length)


class Scraper:
    """One keep-alive connection of the bench's own, for /metrics: the clients' connections are counted exactly."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> bytes:
        if self.conn is None:
            self.conn = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.conn
        writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        return (await read_reply(reader))[1]

    async def per_worker(self) -> dict[str, dict[str, float]]:
        """Connections accepted and checks answered so far, by worker pid."""
        out: dict[str, dict[str, float]] = {}
        for line in (await self.get("/metrics")).decode().splitlines():
            for name, key in (("copyguard_worker_connections_total{", "connections"),
                              ('copyguard_worker_requests_total{route="/v1/check",', "checks")):
                if line.startswith(name):
                    worker = re.search(r'worker="(\d+)"', line).group(1)
                    out.setdefault(worker, {"connections": 0.0, "checks": 0.0})[key] = float(line.rsplit(" ", 1)[1])
        return out

    async def keep_alive(self, until: float) -> None:
        """A request every 2 s, so the server's keep-alive timeout never closes this connection mid-cell."""
        while time.perf_counter() + 2 < until:
            await asyncio.sleep(2)
            await self.get("/healthz")


def spread(before: dict, after: dict) -> dict[str, str]:
    """Per worker, what the cell added: '4+4' connections, '812+790' checks (workers in pid order)."""
    pids = sorted(set(after), key=int)
    diff = {key: [after[w][key] - before.get(w, {}).get(key, 0.0) for w in pids] for key in ("connections", "checks")}
    return {key: "+".join(f"{v:.0f}" for v in values if v) or "0" for key, values in diff.items()}


async def client(port: int, payloads: list[bytes], until: float, latencies: list[float], start: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors, i = 0, start
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        try:
            writer.write(payloads[i % len(payloads)])
            status, _ = await read_reply(reader)
        except (OSError, asyncio.IncompleteReadError):  # a closed or reset connection is an error, then reconnect
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            status = 0
        latencies.append(time.perf_counter() - t0)
        errors += status != 200
        i += 1
    writer.close()
    return errors


MIX = False


async def run_clients(port: int, n: int, seconds: float, scraper: Scraper | None = None) -> tuple[float, list[float], int]:
    payloads = [request("/v1/check", {"text": t}) for t in (answers() if MIX else answers()[:1])]
    latencies: list[float] = []
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    pinger = asyncio.ensure_future(scraper.keep_alive(until)) if scraper else None
    errors = await asyncio.gather(*(client(port, payloads, until, latencies, i) for i in range(n)))
    if pinger:
        await pinger
    return len(latencies) / (time.perf_counter() - started), latencies, sum(errors)


async def cell(srv: Server, n: int, seconds: float) -> dict:
    """One cell of the table: n clients for ``seconds`` on a warm server, and how the work was spread."""
    scraper = Scraper(srv.port)
    before = await scraper.per_worker()
    cpu = srv.cpu_seconds()
    rate, lat, errors = await run_clients(srv.port, n, seconds, scraper)
    cpu = srv.cpu_seconds() - cpu
    after = await scraper.per_worker()
    scraper.conn[1].close()
    return {"clients": n, "rps": rate, "p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "errors": errors,
            "requests": len(lat), "cpu_ms": cpu * 1000 / max(1, len(lat)), **spread(before, after)}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def wait_healthy(srv: Server) -> None:
    async def probe() -> bool:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: b\r\n\r\n")
            status, _ = await read_reply(reader)
            writer.close()
            return status == 200
        except OSError:
            return False

    deadline = time.time() + 120
    while not asyncio.run(probe()):
        if time.time() > deadline:
            raise SystemExit("server did not start")
        time.sleep(0.1)


def throughput(index: Path, workers: list[int], clients: list[int], seconds: float) -> list[dict]:
    rows = []
    for w in workers:
        srv = Server(index, "--workers", str(w))
        try:
            wait_healthy(srv)
            asyncio.run(run_clients(srv.port, 2 * w, 2.0))  # warm up every worker (grammars load on first use)
            for n in clients:
                load = os.getloadavg()[0]
                rows.append({"workers": w, "load": load, **asyncio.run(cell(srv, n, seconds))})
                r = rows[-1]
                print(f"  {w} worker(s) x {n:>2} clients: {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f} ms  "
                      f"p99 {r['p99']:6.1f} ms  errors {r['errors']}  connections {r['connections']}  "
                      f"checks {r['checks']}  server CPU {r['cpu_ms']:.1f} ms/check  load {load:.1f}", flush=True)
        finally:
            srv.stop()
    return rows


def memory(index: Path) -> dict:
    srv = Server(index, "--workers", "2")
    try:
        wait_healthy(srv)
        asyncio.run(run_clients(srv.port, 4, 2.0))
        idle = srv.rss_mb()

        async def hundred_mb() -> int:
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            writer.write(b"POST /v1/check HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            chunk = b"a" * (1 << 20)
            status = 0
            try:
                for _ in range(100):
                    writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
                status = (await read_reply(reader))[0]
            except (ConnectionError, asyncio.IncompleteReadError):
                status = 413  # refused and closed before the client finished sending
            writer.close()
            return status

        peak_body = 0.0

        async def sample_while(coro) -> object:
            nonlocal peak_body
            task = asyncio.ensure_future(coro)
            while not task.done():
                peak_body = max(peak_body, srv.rss_mb())
                await asyncio.sleep(0.02)
            return await task

        body_status = asyncio.run(sample_while(hundred_mb()))
        peak_conn = 0.0

        async def two_hundred() -> list[int]:
            nonlocal peak_conn
            payload = request("/v1/check", {"text": answers()[0]})

            async def one() -> int:
                reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
                writer.write(payload)
                status, _ = await read_reply(reader)
                writer.close()
                return status

            tasks = [asyncio.ensure_future(one()) for _ in range(200)]
            while not all(t.done() for t in tasks):
                peak_conn = max(peak_conn, srv.rss_mb())
                await asyncio.sleep(0.02)
            return [t.result() for t in tasks]

        statuses = asyncio.run(two_hundred())
        return {"idle": idle, "body_peak": peak_body, "body_status": body_status, "conn_peak": peak_conn,
                "conn_ok": statuses.count(200)}
    finally:
        srv.stop()


def takedown(index: Path) -> dict:
    work = Path(tempfile.mkdtemp(prefix="cg-load-")) / "idx"
    shutil.copytree(index, work)
    srv = Server(work, "--workers", "2")
    try:
        wait_healthy(srv)
        log: list[tuple[float, bool]] = []
        payload = request("/v1/check", {"text": answers()[0]})

        problems: list[str] = []

        async def checker(until: float) -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            while time.time() < until:
                started = time.time()
                try:
                    writer.write(payload)
                    status, body = await read_reply(reader)
                except (OSError, asyncio.IncompleteReadError) as err:  # counted, and this client reconnects
                    problems.append(f"{type(err).__name__} {started - t0:.2f} s in")
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
                    continue
                if status != 200:
                    problems.append(f"HTTP {status} {started - t0:.2f} s in: {body[:200]!r}")
                log.append((started, TOMLI.encode() in body))
            writer.close()

        async def scenario() -> float:
            until = time.time() + 6
            tasks = [asyncio.ensure_future(checker(until)) for _ in range(8)]
            await asyncio.sleep(2)
            proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "copyguard", "index", "remove", TOMLI,
                                                        "--index", str(work), stdout=subprocess.DEVNULL)
            await proc.wait()
            committed = os.stat(work / "manifest.json").st_mtime
            await asyncio.gather(*tasks)
            return committed

        t0 = time.time()
        committed = asyncio.run(scenario())
        stale = [t for t, named in log if named and t >= committed]
        server_log = srv.log()
        deaths = re.findall(r"worker \d+ (?:died|failed)[^\n]*", server_log)
        deaths += [f"{n} unhandled exceptions" for n in [server_log.count("Exception in ASGI application")] if n]
        return {"lag_ms": (max(stale) - committed) * 1000 if stale else 0.0, "checks": len(log),
                "problems": problems, "deaths": deaths}
    finally:
        srv.stop()
        shutil.rmtree(work.parent, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=8.0, help="per cell of the table")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8, 16])
    ap.add_argument("--index", help="an index to serve (default: build the sample corpus)")
    ap.add_argument("--mix", action="store_true", help="rotate three answers of different cost")
    args = ap.parse_args()
    global MIX
    MIX = args.mix
    tmp = Path(tempfile.mkdtemp(prefix="cg-load-"))
    index = Path(args.index) if args.index else tmp / "idx"
    if not args.index:
        built = subprocess.run([sys.executable, "-m", "copyguard", "index", "build", str(SAMPLES / "corpus"),
                                "--out", str(index)], capture_output=True, text=True)
        if built.returncode:
            raise SystemExit(f"bench/load.py: could not index the sample corpus:\n{built.stderr[-2000:]}")
    started = time.strftime("%Y-%m-%d %H:%M")
    print(f"load on copyguard serve, {started}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
          flush=True)
    rows = throughput(index, args.workers, args.clients, args.seconds)
    mem = memory(index)
    lag = takedown(index)
    print(f"\n{started}, {os.cpu_count()} cores; load average (1 min) when each cell started; "
          f"{args.seconds:g} s per cell; connections and checks: each worker's share (pid order)\n")
    print("| workers | clients | requests/s | p50 ms | p99 ms | p99/p50 | errors | connections | checks "
          "| server CPU ms/check | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['clients']} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} | "
              f"{r['p99'] / r['p50']:.1f} | {r['errors']} | {r['connections']} | {r['checks']} | "
              f"{r['cpu_ms']:.1f} | {r['load']:.1f} |")
    by = {(r["workers"], r["clients"]): r["rps"] for r in rows}
    for w in args.workers:
        for n in args.clients:
            if (w, 1) in by and n > 1:
                print(f"\n{w} worker(s), {n} clients vs 1 client: {by[(w, n)] / by[(w, 1)]:.2f}x", end="")
    print(f"\n\nmemory of all server processes (2 workers): idle {mem['idle']:.0f} MB; "
          f"peak {mem['body_peak']:.0f} MB while a 100 MB body was sent (answer {mem['body_status']}); "
          f"peak {mem['conn_peak']:.0f} MB under 200 parallel connections ({mem['conn_ok']}/200 answered 200)")
    print(f"takedown: the removed source was last named {lag['lag_ms']:.0f} ms after the commit "
          f"({lag['checks']} checks by 8 clients); client errors: {len(lag['problems'])} "
          f"{lag['problems'][:5] or ''}; worker deaths and unhandled exceptions in the server's log: "
          f"{lag['deaths'] or 'none'}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
