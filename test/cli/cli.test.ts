/** The real `edgrec` binary in a child process: exit codes, output, cache across runs. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PROJECT_ROOT } from "../../apps/runner/src/runtime.ts";

const bin = join(PROJECT_ROOT, "bin/edgrec.js");
const plugins = join(PROJECT_ROOT, "test/fixtures/plugins/good");
const graph = join(PROJECT_ROOT, "test/fixtures/graphs/simple.json");

function edgrec(args: string[], cwd = mkdtempSync(join(tmpdir(), "edgrec-cli-"))) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, cwd };
}

describe("edgrec CLI", () => {
  test("the bundled runner (dist/runner/edgrec.mjs) loads TypeScript plugins and runs a graph", (t) => {
    const bundle = join(PROJECT_ROOT, "dist/runner/edgrec.mjs");
    if (!existsSync(bundle)) {
      t.skip(`${bundle} not built: run npm run build (npm test builds it with the editor tests)`);
      return;
    }
    const cwd = mkdtempSync(join(tmpdir(), "edgrec-cli-"));
    const r = spawnSync(
      process.execPath,
      [bundle, "run", graph, "--plugins", plugins, "--cache", join(cwd, "cache"), "--json"],
      { cwd, encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const done = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "run-finished");
    assert.equal(done.report.ok, true);
    assert.equal(done.report.nodes.total.status, "ran");
  });

  test("run prints results and exits 0; a second run with one change reuses the cache", () => {
    const cwd = mkdtempSync(join(tmpdir(), "edgrec-cli-"));
    const cache = join(cwd, "cache");
    const first = edgrec(["run", graph, "--plugins", plugins, "--cache", cache, "--json"], cwd);
    assert.equal(first.code, 0, first.err);
    const events = first.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const done = events.find((e) => e.type === "run-finished");
    assert.equal(done.report.ok, true);
    assert.equal(done.report.nodes.total.status, "ran");

    const second = edgrec(
      [
        "run",
        graph,
        "--plugins",
        plugins,
        "--cache",
        cache,
        "--json",
        "--set",
        "jitter.amount=0.02",
      ],
      cwd,
    );
    assert.equal(second.code, 0, second.err);
    const report = second.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "run-finished").report;
    assert.equal(report.nodes.plain.status, "cached");
    assert.equal(report.nodes.plain.from, "disk");
    assert.equal(report.nodes.total.status, "ran");
    assert.match(report.nodes.total.reason, /input changed: image \(from "jitter"\)/);
  });

  test("human output shows progress and the run summary", () => {
    const r = edgrec([
      "run",
      graph,
      "--plugins",
      plugins,
      "--cache",
      mkdtempSync(join(tmpdir(), "edgrec-cache-")),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /▶ total: running/);
    assert.match(r.err, /finished in/);
    assert.match(r.out, /total\.value = /);
  });

  test("distinct exit codes: usage 2, invalid graph 3", () => {
    assert.equal(edgrec(["frobnicate"]).code, 2);
    assert.equal(edgrec(["run"]).code, 2);
    const invalid = edgrec(["run", graph, "--plugins", plugins, "--set", "scale.factor=99"]);
    assert.equal(invalid.code, 3);
    assert.match(invalid.err, /E_PARAM_INVALID.*factor/);
    const dir = mkdtempSync(join(tmpdir(), "edgrec-cli-"));
    writeFileSync(join(dir, "bad.json"), "{oops");
    const notJson = edgrec(["validate", join(dir, "bad.json")]);
    assert.equal(notJson.code, 3);
    assert.match(notJson.err, /not valid JSON/);
  });

  test("validate and nodes", () => {
    const ok = edgrec(["validate", graph, "--plugins", plugins]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /valid \(5 nodes\)/);
    const nodes = edgrec(["nodes", "--json", "--plugins", plugins]);
    const cat = JSON.parse(nodes.out);
    const ramp = cat.nodes.find((n: { type: string }) => n.type === "test.ramp");
    assert.equal(ramp.source, "plugin");
    assert.equal(ramp.defaults.n, 4);
    assert.equal(ramp.params.properties.n.maximum, 100);
  });

  test("a broken plugin is reported and the runner still works", () => {
    const r = edgrec([
      "nodes",
      "--plugins",
      join(PROJECT_ROOT, "test/fixtures/plugins/broken"),
      "--plugins",
      plugins,
    ]);
    assert.equal(r.code, 0);
    assert.match(r.err, /throws-on-load\.ts failed to load: this plugin is broken on purpose/);
    assert.match(r.out, /test\.ramp/);
  });
});
