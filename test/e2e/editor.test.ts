/**
 * End-to-end: the built editor in Debian's Chromium against a real `edgrec serve` child
 * process (free port, temporary cache and library). Uses the test plugin nodes so it runs in
 * seconds on any machine. Skips, saying why, when /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Locator, Page } from "playwright-core";
import { type Graph, parseGraph, serializeGraph } from "../../apps/runner/src/graph/schema.ts";
import {
  buildEditor,
  chromiumSkip,
  launchBrowser,
  ROOT,
  startServe,
  stopServe,
} from "./_harness.ts";

const skip = chromiumSkip("editor tests");

let server: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let baseUrl = "";
let cacheDir = "";
const pageErrors: string[] = [];

/** The graph in the editor, canonicalised the way the runner writes files. */
async function editorGraph(): Promise<Graph> {
  const raw = await page.evaluate(() => {
    const w = window as unknown as { edgrec: { graph: { getState(): { graph: unknown } } } };
    return w.edgrec.graph.getState().graph;
  });
  return parseGraph(raw);
}

async function centre(l: Locator): Promise<{ x: number; y: number }> {
  const box = await l.boundingBox();
  assert.ok(box, "element should be visible");
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags from one port handle to another the way a user does. */
async function dragConnect(from: Locator, to: Locator): Promise<void> {
  const a = await centre(from);
  const b = await centre(to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 8 });
  await page.mouse.move(b.x, b.y, { steps: 8 });
  await page.mouse.up();
}

const port = (node: string, side: "in" | "out", name: string) =>
  page.locator(`[data-testid="node-${node}"] [data-testid="port-${side}-${name}"]`);

describe("editor end to end", { skip }, () => {
  before(async () => {
    buildEditor();
    cacheDir = await mkdtemp(join(tmpdir(), "edgrec-e2e-"));
    await mkdir(join(cacheDir, "library"), { recursive: true });
    // The small test graph goes into the user library, so "Open" finds it.
    await copyFile(
      join(ROOT, "test/fixtures/graphs/simple.json"),
      join(cacheDir, "library/simple.json"),
    );
    const started = await startServe([
      "--cache",
      cacheDir,
      "--plugins",
      "test/fixtures/plugins/good",
    ]);
    baseUrl = started.url;
    server = started.child;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await browser?.close();
    await stopServe(server);
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  test("opens the default graph, or says it is missing and starts empty", async () => {
    await page.goto(`${baseUrl}/`);
    await page.getByText(/Connected · /).waitFor();
    const hasDefault = existsSync(join(ROOT, "graphs/edgrec.json"));
    if (hasDefault) {
      await page.getByTestId("doc-name").filter({ hasText: "edgrec" }).waitFor();
      assert.ok((await editorGraph()).nodes.length > 0);
    } else {
      await page.getByText(/default "edgrec" graph is not in the runner's library/).waitFor();
      assert.equal((await editorGraph()).nodes.length, 0);
    }
    assert.deepEqual(pageErrors, []);
  });

  test("opens a library graph and shows its nodes with typed ports", async () => {
    await page.getByTestId("open").click();
    await page.getByTestId("library-simple").click();
    await page.getByTestId("node-total").waitFor();
    assert.equal(await page.locator(".react-flow__node").count(), 5);
    assert.equal(await page.locator(".react-flow__edge").count(), 4);
    // Gray-image handles carry the Gray colour from nodes/sdk/ports.ts (#90a4ae).
    const bg = await port("scale", "in", "image").evaluate(
      (e) => getComputedStyle(e).backgroundColor,
    );
    assert.equal(bg, "rgb(144, 164, 174)");
  });

  test("adds a node from the searchable palette and connects it", async () => {
    await page.getByTestId("palette-search").fill("scale");
    assert.equal(await page.locator('[data-testid^="palette-test."]').count(), 1);
    await page.getByTestId("palette-test.scale").click();
    await page.getByTestId("node-scale_2").waitFor();
    await page.getByTestId("palette-search").fill("");
    await page.locator(".react-flow__pane").click({ position: { x: 20, y: 20 } });
    await page.keyboard.press("f");
    await page.waitForTimeout(400);
    await dragConnect(port("ramp", "out", "image"), port("scale_2", "in", "image"));
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__edge").length === 5);
    const g = await editorGraph();
    assert.ok(
      g.edges.some(
        (e) => e.from.node === "ramp" && e.to.node === "scale_2" && e.to.port === "image",
      ),
    );
  });

  test("refuses an incompatible connection and says why", async () => {
    await dragConnect(port("total", "out", "value"), port("scale_2", "in", "image"));
    await page.getByText(/Number cannot feed Gray image input/).waitFor();
    assert.equal(await page.locator(".react-flow__edge").count(), 5);
  });

  test("edits parameters in the panel, explaining invalid values inline", async () => {
    await page.locator('[data-testid="node-scale"] .card-title').click();
    const input = page.getByTestId("input-factor");
    await input.fill("20");
    await input.press("Enter");
    await page
      .getByTestId("error-factor")
      .filter({ hasText: "Factor must be at most 10" })
      .waitFor();
    assert.equal((await editorGraph()).nodes.find((n) => n.id === "scale")?.params.factor, 2);
    await input.fill("3");
    await input.press("Enter");
    await page.waitForFunction(() => !document.querySelector('[data-testid="error-factor"]'));
    assert.equal((await editorGraph()).nodes.find((n) => n.id === "scale")?.params.factor, 3);
    // Slow the task down so progress is visible while it runs.
    await page.getByTestId("node-total").click();
    await page.getByTestId("input-delayMs").fill("120");
    await page.getByTestId("input-delayMs").press("Enter");
  });

  test("validation problems show on the node before running", async () => {
    // scale_2 feeds nothing, which is fine; an unconnected required input is not.
    await page.getByTestId("palette-test.jitter").click();
    await page.locator('[data-testid="node-jitter_2"].card-invalid').waitFor();
    await page.locator('[data-testid="node-jitter_2"] .port-issue').first().waitFor();
    await page.keyboard.press("Delete");
    await page.getByTestId("node-jitter_2").waitFor({ state: "detached" });
    await page.getByText("Graph is valid").waitFor();
  });

  test("runs the graph: progress, states and preview images arrive", async () => {
    await page.getByTestId("run").click();
    await page.locator('[data-testid="node-total"] [data-testid="progress"]').waitFor();
    await page.locator('[data-testid="node-total"][data-status="done"]').waitFor();
    await page
      .getByTestId("run-summary")
      .filter({ hasText: /Finished in/ })
      .waitFor();
    await page.locator('[data-testid="node-scale"] img[data-testid="preview"]').waitFor();
    const loaded = await page
      .locator('img[data-testid="preview"]')
      .evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length);
    assert.ok(loaded >= 3, `expected previews on ramp, scale and jitter, got ${loaded}`);
    const badge = await page
      .locator('[data-testid="node-total"] [data-testid="state-badge"]')
      .textContent();
    assert.match(badge ?? "", /^done \d/);
    await page.locator(".react-flow__pane").click({ position: { x: 20, y: 20 } });
    await page.keyboard.press("f");
    await page.waitForTimeout(400);
    await mkdir(join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-results/editor.png") });
  });

  test("runs only up to a chosen node", async () => {
    await page.locator('[data-testid="node-scale"] .card-title').click();
    await page.getByTestId("run-to-node").click();
    await page
      .getByTestId("run-summary")
      .filter({ hasText: /Finished in/ })
      .waitFor();
    const st = await page.locator('[data-testid="node-total"]').getAttribute("data-status");
    assert.equal(st, "idle", "a node past the target is not run");
  });

  test("copy, paste, undo and redo", async () => {
    const before = serializeGraph(await editorGraph());
    await page.getByTestId("node-jitter").click();
    await page.keyboard.press("Control+c");
    await page.keyboard.press("Control+v");
    await page.getByTestId("node-jitter_2").waitFor();
    const pasted = serializeGraph(await editorGraph());
    await page.keyboard.press("Control+z");
    await page.getByTestId("node-jitter_2").waitFor({ state: "detached" });
    assert.equal(serializeGraph(await editorGraph()), before);
    await page.keyboard.press("Control+Shift+z");
    await page.getByTestId("node-jitter_2").waitFor();
    assert.equal(serializeGraph(await editorGraph()), pasted);
    await page.keyboard.press("Control+z");
    await page.getByTestId("node-jitter_2").waitFor({ state: "detached" });
  });

  test("saves to the library and reloads an identical graph", async () => {
    const saved = serializeGraph(await editorGraph());
    await page.getByTestId("save").click();
    await page.getByTestId("save-name").fill("e2e saved");
    await page.getByTestId("save-confirm").click();
    await page.getByText('Saved "e2e saved" to the library').waitFor();
    const onDisk = await readFile(join(cacheDir, "library/e2e saved.json"), "utf8");
    assert.equal(serializeGraph(parseGraph(onDisk)), saved);
    await page.reload();
    await page.getByText(/Connected · /).waitFor();
    await page.getByTestId("open").click();
    await page.getByTestId("library-e2e saved").click();
    await page.getByTestId("node-scale_2").waitFor();
    assert.equal(serializeGraph(await editorGraph()), saved);
    assert.deepEqual(pageErrors, []);
  });

  test("the learning-rate slider is logarithmic and leaves the 0 sentinel alone", async () => {
    await page.getByTestId("palette-search").fill("U-Net train");
    await page.getByTestId("palette-edgrec.unet-train").click();
    await page.getByTestId("palette-search").fill("");
    await page.locator('[data-testid="node-unet-train"] .card-title').click();
    const slider = page.getByTestId("slider-learningRate");
    const box = page.getByTestId("input-learningRate");
    const learningRate = async () =>
      (await editorGraph()).nodes.find((n) => n.id === "unet-train")?.params.learningRate;
    // 0 = the preset's: shown as typed, the slider parked at its left end, nothing rewritten.
    assert.equal(await slider.getAttribute("data-scale"), "log");
    assert.equal(await slider.inputValue(), "0");
    assert.equal(await box.inputValue(), "0");
    assert.equal(await learningRate(), 0);
    // Drag the thumb from the left end to about the middle, as a user does.
    await slider.scrollIntoViewIfNeeded();
    const r = await slider.boundingBox();
    assert.ok(r, "the slider should be visible");
    await page.mouse.move(r.x + 6, r.y + r.height / 2);
    await page.mouse.down();
    await page.mouse.move(r.x + r.width * 0.55, r.y + r.height / 2, { steps: 10 });
    await page.mouse.up();
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="input-learningRate"]') as HTMLInputElement).value !==
        "0",
    );
    const shown = Number(await box.inputValue());
    assert.ok(shown >= 1e-5 && shown <= 1e-1, `learning rate ${shown} is outside 1e-5..1e-1`);
    // Halfway along a 1e-5..0.1 log slider is near 1e-3; a linear one would give about 0.05.
    assert.ok(shown > 1e-4 && shown < 1e-2, `learning rate ${shown} is not from a log slider`);
    assert.equal(await learningRate(), shown);
    assert.equal(await page.getByTestId("error-learningRate").count(), 0);
    assert.deepEqual(pageErrors, []);
  });
});
