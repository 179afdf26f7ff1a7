"""PostGraphile v5 beside us, on the same database, for the `--compare-postgraphile` mode.

Installs `postgraphile@5` from npm into a temporary directory (once per run), starts it on
loopback with the Amber preset over the same PostgreSQL schema, and gives the query that asks it
for the same order-list shape as `bench.scenarios.ORDER_LIST`: 50 completed orders, newest first,
four scalars, store, customer, and each line's SKU and product. PostGraphile 5 wants Node 22's
`Promise.withResolvers`; on Node 20 a three-line `--require` polyfill supplies it.

With `workers` > 1 a small launcher forks that many PostGraphile processes with Node's `cluster`
module: they share one port, the primary hands each new connection to the next worker in turn
(round-robin, the Linux default), as uvicorn's workers share ours. The primary does no per-request
work, so there is no proxy hop to pay for; its CPU is reported apart.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.server import Server, free_port, wait_for_workers

VERSION = "5"

POLYFILL = """if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function () {
    let resolve, reject;
    const promise = new Promise((a, b) => { resolve = a; reject = b; });
    return { promise, resolve, reject };
  };

}
"""

# Started instead of the CLI for several workers: the primary forks PGL_WORKERS copies of the CLI,
# which share the port. A worker that dies ends the run rather than leaving fewer workers measured.
CLUSTER = """const cluster = require("node:cluster");
const path = require("node:path");
const workers = Number(process.env.PGL_WORKERS || "1");
if (cluster.isPrimary && workers > 1) {
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (!stopping) {
      console.error(`worker ${worker.process.pid} exited (${code ?? signal})`);
      process.exit(1);
    }
  });
  process.on("SIGTERM", () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers)) worker.process.kill("SIGTERM");
    setTimeout(() => process.exit(0), 200);
  });
} else {
  require(path.join(__dirname, "node_modules", "postgraphile", "dist", "cli-run.js"));
}
"""

# The same shape as bench.scenarios.ORDER_LIST, in PostGraphile's generated names.
ORDER_LIST = """query OrderList($first: Int!) {
  allOrders(first: $first, condition: {status: "COMPLETED"}, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      orderNo status createdAt payableAmount
      storeByStoreId { name }
      customerByCustomerId { nickname }
      orderLinesByOrderId { nodes { quantity skusBySkuId { skuCode productByProductId { name } } } }
    }
  }
}"""


# bench.scenarios.ORDER_DETAIL in PostGraphile's generated names, by primary key. PostGraphile has
# no `availableActions` (our state machine's answer per action) and no masking: those are left out,
# amounts are its plain integer columns and the consignee its three columns.
ORDER_DETAIL = """query OrderDetail($id: BigInt!) {
  orderByRowId(rowId: $id) {
    id orderNo status type fulfillment channel paymentMethod
    goodsAmount discountAmount deliveryFee packagingFee payableAmount paidAmount refundedAmount
    consigneeName consigneePhone consigneeAddress
    buyerRemark createdAt paidAt acceptedAt shippedAt completedAt version pickupCode
    storeByStoreId { code name phone }
    customerByCustomerId { nickname phone memberLevel }
    orderLinesByOrderId { nodes {
      id productName spec quantity unitPrice paidAmount refundedQuantity refundedAmount isGift
      skusBySkuId { skuCode barcode }
    } }
    parcelsByOrderId { nodes { carrier trackingNo } }
    orderEventsByOrderId { nodes { action toStatus actorType createdAt } }
    afterSalesByOrderId { nodes { id status type refundAmount } }
  }
}"""


def plain_postgres_url(database_url: str) -> str:
    """postgresql+asyncpg://… (SQLAlchemy) → postgres://… (node-postgres)."""
    scheme, rest = database_url.split("://", 1)
    if not scheme.startswith("postgresql"):
        raise SystemExit("PostGraphile needs PostgreSQL")
    return f"postgres://{rest}"


def install(directory: Path) -> Path:
    """npm install postgraphile into `directory`; returns the CLI's path."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise SystemExit("--compare-postgraphile needs node and npm on PATH")
    (directory / "package.json").write_text('{"name": "pgl-bench", "private": true}\n')
    (directory / "polyfill.cjs").write_text(POLYFILL)
    (directory / "cluster.cjs").write_text(CLUSTER)
    print(f"installing postgraphile@{VERSION} from npm into {directory} …", flush=True)
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", f"postgraphile@{VERSION}"],
        cwd=directory,
        check=True,
    )
    return directory / "node_modules" / ".bin" / "postgraphile"


@contextlib.contextmanager
def running_postgraphile(database_url: str, timeout: float = 120.0, workers: int = 1) -> Iterator[Server]:
    """PostGraphile serving /graphql with `workers` processes; removed with its directory after."""
    with tempfile.TemporaryDirectory(prefix="pgl-bench-") as tmp:
        directory = Path(tmp)
        cli = install(directory)
        launcher = cli if workers == 1 else directory / "cluster.cjs"
        port = free_port()
        cmd = [
            "node", "--require", str(directory / "polyfill.cjs"), str(launcher),
            "-P", "postgraphile/presets/amber", "-c", plain_postgres_url(database_url),
            "-s", "public", "-p", str(port), "-n", "127.0.0.1",
        ]  # fmt: skip
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "NODE_ENV": "production",
            "HOME": str(directory),
            "PGL_WORKERS": str(workers),
        }
        process = subprocess.Popen(
            cmd, cwd=directory, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + timeout
            _wait_ready(port, process, timeout)
            if workers == 1:
                yield Server("127.0.0.1", port, process.pid)
            else:
                pids = wait_for_workers(process.pid, workers, deadline)
                yield Server("127.0.0.1", port, process.pid, pids)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    body = b'{"query":"{ __typename }"}'
    while True:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=body,
                headers={"content-type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            err = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
            raise RuntimeError(f"PostGraphile did not start (exit code {process.poll()}): {err}")
        time.sleep(0.3)
