/**
 * Load: `edgrec serve` as a real child process on loopback, 50 WebSocket clients at once.
 * Five clients start runs (they queue: one runs at a time); every client subscribes to one of
 * them from the start and keeps asking for the catalogue and validating a graph. Checks that
 * every client receives the full, gap-free message sequence of its run (the same sequence as
 * every other watcher) and an answer to every request; prints throughput, latency and the
 * server's memory. Bounded to about 20 s.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client, PLUGINS, slowGraph } from "../server/helpers.ts";
import { BIN, tempDir } from "./helpers.ts";

const CLIENTS = 50;
const RUNS = 5;

/** Resident memory of a process in bytes (Linux /proc), or NaN elsewhere. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

describe("load", () => {
  let child: ReturnType<typeof spawn>;
  let url = "";
  before(async () => {
    const dir = tempDir();
    child = spawn(
      process.execPath,
      [
        BIN,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--cache",
        join(dir, "cache"),
        ...PLUGINS.flatMap((p) => ["--plugins", p]),
      ],
      { cwd: dir },
    );
    url = await new Promise<string>((ok, fail) => {
      let out = "";
      const t = setTimeout(() => fail(new Error(`server did not start: ${out}`)), 30_000);
      child.stdout?.on("data", (d) => {
        out += d;
        const m = /listening on (http:\/\/[^\s/]+)/.exec(out);
        if (m) {
          clearTimeout(t);
          ok(m[1]);
        }
      });
      child.stderr?.on("data", (d) => {
        out += d;
      });
    });
  });
  after(() => {
    child.kill("SIGTERM");
  });

  test(`${CLIENTS} clients, ${RUNS} runs: nothing lost, every request answered`, async () => {
    const t0 = performance.now();
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => Client.connect(url)));
    const connectMs = performance.now() - t0;
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      // distinct parameters per run: identical graphs would come from the cache at once
      const graph = await slowGraph(300, `load-${i}`);
      graph.nodes.find((n) => n.id === "ramp")!.params.base = 0.1 + i / 100;
      graph.nodes.find((n) => n.id === "total")!.params.epochs = 2;
      const acc = await clients[i].request({ type: "run", graph });
      assert.equal(acc.type, "run-accepted");
      runIds.push((acc as { runId: string }).runId);
    }
    await Promise.all(
      clients.map(async (c, i) => {
        if (i >= RUNS) {
          const sub = await c.request({ type: "subscribe", runId: runIds[i % RUNS], since: -1 });
          assert.equal(sub.type, "subscribed");
        }
      }),
    );

    // Requests while the runs go on: each client asks ~4 times a second (under its rate limit).
    const graph = await slowGraph(1, "validate-me");
    const latencies: number[] = [];
    let stop = false;
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssOf(child.pid!)), 250);
    const chatter = clients.map(async (c, i) => {
      let n = 0;
      while (!stop) {
        const s = performance.now();
        const r = await c.request(
          n % 2 === 0 ? { type: "get-catalogue" } : { type: "validate", graph },
          15_000,
        );
        assert.ok(r.type === "catalogue" || r.type === "validation", `client ${i}: ${r.type}`);
        latencies.push(performance.now() - s);
        n++;
        await new Promise((ok) => setTimeout(ok, 250));
      }
    });
    const ends = clients.map((c, i) => c.waitForRunEnd(runIds[i % RUNS], 240_000));
    await Promise.all(ends);
    stop = true;
    await Promise.all(chatter);
    clearInterval(sampler);
    const wallS = (performance.now() - t0) / 1000;

    // Nothing lost: per run, every watcher saw the same contiguous sequence, start to end.
    let runMessages = 0;
    for (let r = 0; r < RUNS; r++) {
      const watchers = clients.filter((_, i) => i % RUNS === r);
      const ref = watchers[0].runMessages(runIds[r]).map((m) => `${m.seq}:${m.type}`);
      const seqs = watchers[0].runMessages(runIds[r]).map((m) => m.seq);
      assert.ok(seqs.length > 5, `run ${r}: ${seqs.length} messages`);
      for (const [k, s] of seqs.entries()) assert.equal(s, seqs[0] + k, `run ${r}: gap at ${k}`);
      assert.equal(watchers[0].runMessages(runIds[r]).at(-1)?.type, "run-finished");
      for (const w of watchers.slice(1)) {
        assert.deepEqual(
          w.runMessages(runIds[r]).map((m) => `${m.seq}:${m.type}`),
          ref,
          `run ${r}: watchers disagree`,
        );
      }
      runMessages += ref.length * watchers.length;
    }
    for (const c of clients) {
      assert.deepEqual(c.invalid, []);
      assert.ok(!c.messages.some((m) => m.type === "error"), "an error reply under load");
    }
    const rows = [
      ["clients", String(CLIENTS)],
      ["runs (queued, 1 at a time)", String(RUNS)],
      ["connect + hello, all clients", `${Math.round(connectMs)} ms`],
      ["wall time", `${wallS.toFixed(1)} s`],
      ["requests answered", String(latencies.length)],
      ["requests / s", (latencies.length / wallS).toFixed(0)],
      [
        "latency p50 / p95 / max",
        `${pct(latencies, 50).toFixed(1)} / ${pct(latencies, 95).toFixed(1)} / ${Math.max(...latencies).toFixed(1)} ms`,
      ],
      ["run messages delivered", `${runMessages} (${(runMessages / wallS).toFixed(0)}/s)`],
      [
        "server RSS min / max",
        `${(Math.min(...rss) / 2 ** 20).toFixed(0)} / ${(Math.max(...rss) / 2 ** 20).toFixed(0)} MiB`,
      ],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stderr.write(
      `load (2 shared cores, timings noisy):\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n")}\n`,
    );
    // Timings are reported, not asserted: tests check correctness (benchmarks measure).
    await Promise.all(clients.map((c) => c.close()));
  });
});
