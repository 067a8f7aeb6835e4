"""Webhook receiver load test and format reader benchmark, each figure beside a baseline measured
in the same run.

    python -m bench.webhook                                  # 10,000 bodies, 8 clients; readers on 100,000
    python -m bench.webhook --bodies 20000 --clients 16 --reader-rows 200000

Receiver: a real uvicorn server in a subprocess on a free loopback port, signed bodies posted over
keep-alive connections by concurrent clients (asyncio, one connection each); bodies per second,
latency percentiles, and a fold afterwards that must count every acknowledged body exactly once.
Readers: each reader's `convert` against DuckDB's bare `read_json` / `read_csv` of the same file
into a fresh database file. Prints markdown rows; work files go to bench/out/ (ignored by git).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import hashlib
import hmac
import json
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
TWILIO_SAMPLE = REPO / "docs" / "samples" / "twilio_messages.csv"
MAX_CLIENTS, MAX_BODIES = 64, 1_000_000


# --------------------------------------------------------------------------- receiver


def start_receiver(root: Path, env: dict, *, extra: list[str] = (), timeout: float = 30.0):
    """A receiver subprocess on a free loopback port: (process, port). Secrets come in `env`."""
    cmd = [
        sys.executable,
        "-m",
        "trustdesk.webhook",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        str(root),
        *extra,
    ]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(root.parent), text=True
    )
    deadline = time.monotonic() + timeout
    line = proc.stdout.readline()
    if "http://127.0.0.1:" not in line:
        proc.kill()
        raise RuntimeError(f"the receiver did not start: {line!r} {proc.stderr.read()!r}")
    port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
    import socket

    while time.monotonic() < deadline:  # listening from the announcement on; wait for the app
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the receiver did not answer /healthz")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(phone: str, value: dict) -> bytes:
    """A webhook body of one `messages` change for the phone number id `phone`; `value` holds the
    change's statuses or messages."""
    metadata = {"display_phone_number": "442079460958", "phone_number_id": phone}
    change = {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": metadata, **value}}
    body = {"object": "whatsapp_business_account", "entry": [{"id": "104996122399160", "changes": [change]}]}
    return json.dumps(body, separators=(",", ":")).encode()


def status_body(i: int, phone: str = "106540352242922", t0: int = 1792051200) -> bytes:
    """A distinct, realistic status delivery; `i` is readable back from the message id."""
    user = f"91987{i % 100000:05d}10"[:12]
    status = {
        "id": f"wamid.bench{i:09d}",
        "status": ("sent", "delivered", "read")[i % 3],
        "timestamp": str(t0 + i),
        "recipient_id": user,
        "pricing": {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"},
    }
    return webhook_body(phone, {"statuses": [status]})


def body_index(body: bytes) -> int:
    return int(json.loads(body)["entry"][0]["changes"][0]["value"]["statuses"][0]["id"][len("wamid.bench") :])


async def _client(
    port: int, work: list, next_i: list, secret: str, acked: list, latencies: list, errors: Counter
) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        errors["connect"] += 1
        return
    try:
        while True:
            i = next_i[0]
            if i >= len(work):
                return
            next_i[0] = i + 1
            body, signature = work[i]
            head = (
                f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Hub-Signature-256: {signature}\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            writer.write(head + body)
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                errors["closed"] += 1
                return
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            code = int(status_line.split()[1])
            if code == 200:
                acked.append(i)
            else:
                errors[f"http {code}"] += 1
    except (OSError, asyncio.IncompleteReadError):
        errors["connection lost"] += 1
    finally:
        writer.close()


def post_bodies(port: int, bodies: list[bytes], secret: str, clients: int) -> dict:
    """Post every body once from `clients` concurrent keep-alive connections. Returns acked body
    indexes, latencies (s), wall seconds and errors; a dead server ends it early, not in error."""
    clients = max(1, min(clients, MAX_CLIENTS))
    work = [(b, sign(secret, b)) for b in bodies]
    acked, latencies, errors, next_i = [], [], Counter(), [0]

    async def run():
        await asyncio.gather(*(_client(port, work, next_i, secret, acked, latencies, errors) for _ in range(clients)))

    t0 = time.perf_counter()
    asyncio.run(run())
    return {"acked": acked, "latencies": latencies, "seconds": time.perf_counter() - t0, "errors": errors}


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def bench_receiver(n: int, clients: int, lines: list[str]) -> None:
    from trustdesk.webhook import fold_inbox

    root = OUT / "webhook-store"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    secret = secrets.token_hex(16)
    env = {"TRUSTDESK_WEBHOOK_VERIFY_TOKEN": secrets.token_hex(8), "TRUSTDESK_APP_SECRET": secret}
    bodies = [status_body(i) for i in range(n)]
    proc, port = start_receiver(root, env)
    try:
        res = post_bodies(port, bodies, secret, clients)
    finally:
        proc.terminate()
        tail, _ = proc.communicate(timeout=30)
    fsyncs = next((ln.split(" with ")[1] for ln in tail.splitlines() if ln.startswith("stored ")), "? fsyncs")
    lat = res["latencies"]
    seen = Counter()
    fold = fold_inbox(root, lambda b: seen.update(body_index(x) for x in b.bodies()))
    once = len(seen) == len(res["acked"]) and set(seen) == set(res["acked"]) and max(seen.values(), default=1) == 1
    lines.append(
        f"| receiver: {n:,} signed bodies from {clients} concurrent clients, 200 after fsync | "
        f"{res['seconds']:.2f} s | {len(res['acked']) / res['seconds']:,.0f} bodies/s | "
        f"p50 {percentile(lat, 50) * 1000:.1f} ms, p99 {percentile(lat, 99) * 1000:.1f} ms; {fsyncs} |"
    )
    lines.append(
        f"| fold of the inbox: {fold.bodies:,} bodies in {len(fold.batches)} batches | | "
        f"{'each acknowledged body exactly once' if once else 'MISMATCH'} | "
        f"errors: {dict(res['errors']) or 'none'} |"
    )
    for line in lines[-2:]:
        print(line, flush=True)
    shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- readers


def _webhook_file(path: Path, n: int) -> None:
    rnd = random.Random(5)
    with open(path, "w") as fh:
        for i in range(n):
            phone = f"1065403522{i % 50:05d}"
            if i % 3 == 0:
                user = f"5511987{i % 99999:05d}"
                message = {
                    "from": user,
                    "id": f"wamid.in{i:09d}",
                    "timestamp": str(1792051200 + i),
                    "type": "text",
                    "text": {"body": f"message {i} " + "x" * rnd.randint(5, 80)},
                }
                body = webhook_body(
                    phone, {"contacts": [{"profile": {"name": "User"}, "wa_id": user}], "messages": [message]}
                )
            else:
                body = status_body(i, phone)
            fh.write(body.decode() + "\n")


def _twilio_csv(path: Path, n: int) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        with open(TWILIO_SAMPLE, newline="") as sample:
            w.writerow(next(csv.reader(sample)))  # the Console export's header, as the sample has it
        for i in range(n):
            inbound = i % 4 == 0
            biz, user = "whatsapp:+14155238886", f"whatsapp:+55119876{i % 99999:05d}"
            w.writerow(
                [
                    user if inbound else biz,
                    biz if inbound else user,
                    f"hello {i}",
                    "received" if inbound else ("delivered", "read", "undelivered")[i % 3],
                    f"2026-10-16T09:{i % 60:02d}:{i % 60:02d}-07:00",
                    "2010-04-01",
                    "1",
                    "" if i % 7 else "30007",
                    "AC3f2d5e9b8c7a6f1e0d9c8b7a6f5e4d3c",
                    f"SM{i:032x}",
                    "inbound" if inbound else "outbound-api",
                    "-0.00500",
                    "USD",
                ]
            )


def _twilio_bulk(path: Path, n: int) -> None:
    with gzip.open(path, "wt", compresslevel=6) as fh:
        for i in range(n):
            inbound = i % 4 == 0
            biz, user = "whatsapp:+14155238886", f"whatsapp:+91987654{i % 9999:04d}"
            fh.write(
                json.dumps(
                    {
                        "account_sid": "AC3f2d5e9b8c7a6f1e0d9c8b7a6f5e4d3c",
                        "body": f"hello {i}",
                        "date_created": "2026-10-18T16:01:10Z",
                        "date_sent": "2026-10-18T16:01:11Z",
                        "date_updated": "2026-10-18T16:01:14Z",
                        "direction": "inbound" if inbound else "outbound-api",
                        "error_code": None,
                        "from": user if inbound else biz,
                        "to": biz if inbound else user,
                        "messaging_service_sid": None,
                        "num_media": "0",
                        "num_segments": "1",
                        "price": "-0.00500",
                        "sid": f"SM{i:032x}",
                        "status": "received" if inbound else "delivered",
                    },
                    separators=(",", ":"),
                )
                + "\n"
            )


def _pricing(path: Path, n: int) -> None:
    countries = ["IN", "BR", "DE", "GB", "US", "ID", "MX", "NG"]
    cats = [
        ("MARKETING", "REGULAR"),
        ("UTILITY", "REGULAR"),
        ("AUTHENTICATION", "REGULAR"),
        ("SERVICE", "FREE_CUSTOMER_SERVICE"),
    ]
    pts = []
    for i in range(n):
        start = 1791936000 + 1800 * (i // (len(countries) * len(cats)))
        c = countries[i % len(countries)]
        cat, typ = cats[(i // len(countries)) % len(cats)]
        pts.append(
            {
                "start": start,
                "end": start + 1800,
                "country": c,
                "pricing_category": cat,
                "pricing_type": typ,
                "volume": 1 + i % 50,
                "cost": round((1 + i % 50) * 0.0125, 4),
            }
        )
    with open(path, "w") as fh:
        json.dump(
            {"pricing_analytics": {"data": [{"data_points": pts}]}, "currency": "USD", "id": "104996122399160"}, fh
        )


def _bare(sql: str, path: Path, work: Path) -> float:
    db = work / "baseline.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM {sql}(?)", [str(path)])
        return time.perf_counter() - t0
    finally:
        con.close()
        db.unlink(missing_ok=True)


def bench_readers(n: int, lines: list[str]) -> None:
    from etl.formats import convert

    work = OUT / "readers"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cases = (
        ("whatsapp_webhook", "webhooks.jsonl", _webhook_file, "read_json", "bodies"),
        ("twilio_csv", "twilio.csv", _twilio_csv, "read_csv", "rows"),
        ("twilio_bulkexport", "bulk.jsonl.gz", _twilio_bulk, "read_json", "records"),
        ("meta_pricing_analytics", "pricing.json", _pricing, "read_json", "data points"),
    )
    for name, fname, make, reader, unit in cases:
        path = work / fname
        make(path, n)
        size = path.stat().st_size / 2**20
        base = min(_bare(reader, path, work) for _ in range(2))
        out = work / f"out-{name}"
        secs = []
        for _ in range(2):
            shutil.rmtree(out, ignore_errors=True)
            t0 = time.perf_counter()
            conv = convert(path, name, out)
            secs.append(time.perf_counter() - t0)
        best = min(secs)
        rows = sum(conv.rows.values())
        lines.append(
            f"| `{name}` reader: {n:,} {unit} ({size:,.1f} MB) -> {rows:,} rows | {best:.2f} s | "
            f"{best / base:.1f}x bare `{reader}` ({base:.2f} s) | {n / best:,.0f} {unit}/s |"
        )
        print(lines[-1], flush=True)
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook")
    parser.add_argument("--bodies", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reader-rows", type=int, default=100_000)
    parser.add_argument("--no-readers", action="store_true")
    parser.add_argument("--no-receiver", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.bodies <= MAX_BODIES:
        parser.error(f"--bodies must be 1 to {MAX_BODIES:,}")
    OUT.mkdir(parents=True, exist_ok=True)
    print(
        f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC by `python -m bench.webhook "
        f"--bodies {args.bodies} --clients {args.clients} --reader-rows {args.reader_rows}` on "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
        f"load average {os.getloadavg()[0]:.2f} at the start (the machine is shared).\n"
    )
    print("| what | time | rate / ratio | notes |\n| --- | --- | --- | --- |", flush=True)
    lines: list[str] = []
    if not args.no_receiver:
        bench_receiver(args.bodies, args.clients, lines)
    if not args.no_readers:
        bench_readers(args.reader_rows, lines)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
