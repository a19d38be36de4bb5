/**
 * End-to-end: the evaluation workspace in Debian's Chromium against a real `edgrec serve`
 * child process on the demo data, with the default graph shrunk to a tiny training (dataset
 * 32 px, 8 training and 12 test images, preset tiny, 1 epoch). Skips, saying why, when
 * /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  buildEditor,
  chromiumSkip,
  launchBrowser,
  ROOT,
  startServe,
  stopServe,
} from "./_harness.ts";

const skip = chromiumSkip("workspace tests");

let server: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let cacheDir = "";
const pageErrors: string[] = [];

/** Calls EditorController methods in the page. */
async function setParam(node: string, name: string, value: unknown): Promise<void> {
  await page.evaluate(
    ([n, k, v]) => {
      const w = window as unknown as {
        edgrec: { setParam(n: string, k: string, v: unknown): void };
      };
      w.edgrec.setParam(n as string, k as string, v);
    },
    [node, name, value] as const,
  );
}

async function graphParam(node: string, name: string): Promise<unknown> {
  return page.evaluate(
    ([n, k]) => {
      const w = window as unknown as {
        edgrec: {
          graph: {
            getState(): { graph: { nodes: { id: string; params: Record<string, unknown> }[] } };
          };
        };
      };
      return w.edgrec.graph.getState().graph.nodes.find((x) => x.id === n)?.params[k as string];
    },
    [node, name] as const,
  );
}

const text = async (id: string) => (await page.getByTestId(id).textContent())?.trim() ?? "";

/** A digest of a canvas's pixels, to see that it was repainted differently. */
const canvasDigest = (id: string) =>
  page.getByTestId(id).evaluate((c) => {
    const cv = c as HTMLCanvasElement;
    const d = cv.getContext("2d")?.getImageData(0, 0, cv.width, cv.height).data ?? [];
    let h = 0;
    for (let i = 0; i < d.length; i++) h = (h * 31 + d[i]) | 0;
    return h;
  });

describe("evaluation workspace end to end", { skip }, () => {
  before(async () => {
    buildEditor();
    cacheDir = await mkdtemp(join(tmpdir(), "edgrec-ws-e2e-"));
    const started = await startServe(["--cache", cacheDir, "--demo"], 60_000);
    const baseUrl = started.url;
    server = started.child;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(30_000);
    await page.goto(`${baseUrl}/`);
    await page.getByTestId("doc-name").filter({ hasText: "edgrec" }).waitFor();
    await setParam("data", "size", 32);
    await setParam("data", "maxTrain", 8);
    await setParam("data", "maxTest", 12);
    await setParam("train", "preset", "tiny");
    await setParam("train", "epochs", 1);
    await page.getByTestId("run").click();
    await page
      .getByTestId("run-summary")
      .filter({ hasText: /Finished/ })
      .waitFor({ timeout: 90_000 });
  });

  after(async () => {
    await browser?.close();
    await stopServe(server);
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  test("opens on the finished run with metrics, curves and a sample grid", async () => {
    await page.getByTestId("open-workspace").click();
    await page.getByTestId("ws-grid").waitFor();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="ws-metric-pixelAuroc"]')?.textContent !== "—",
    );
    assert.equal(await page.locator('[data-testid^="ws-tile-"]').count(), 12);
    assert.match(await text("ws-session-info"), /12 test images · 32×32 · maps cached/);
    assert.match(await text("ws-cached-note"), /U-Net is not re-run/);
    const pts = await page
      .locator('[data-testid="ws-curve-pixel-roc"] path')
      .getAttribute("data-points");
    assert.ok(Number(pts) > 2 && Number(pts) <= 200, `pixel ROC has ${pts} points`);
  });

  test("clicking a sample shows its intermediate images side by side", async () => {
    const fp = page.locator('[data-outcome="FP"]');
    const tile =
      (await fp.count()) > 0 ? fp.first() : page.locator('[data-testid^="ws-tile-"]').first();
    await tile.click();
    await page.getByTestId("ws-detail").waitFor();
    for (const key of ["input", "edge", "reconstruction"]) {
      await page.locator(`[data-testid="ws-stage-${key}"] img, .ws-error`).first().waitFor();
      const problem = await page.locator(".ws-error").count();
      const why = problem ? await page.locator(".ws-error").first().textContent() : "";
      assert.equal(problem, 0, why ?? "");
      const w = await page
        .locator(`[data-testid="ws-stage-${key}"] img`)
        .evaluate((img) => (img as HTMLImageElement).naturalWidth);
      assert.equal(w, 32, `${key} preview decoded`);
    }
    for (const key of ["color", "structure", "combined", "masks"]) {
      await page.getByTestId(`ws-stage-${key}`).waitFor();
    }
  });

  test("dragging the colour weight updates the metrics and the selected heat map", async () => {
    const before = {
      auroc: await text("ws-metric-pixelAuroc"),
      ap: await text("ws-metric-pixelAp"),
      heat: await canvasDigest("ws-heat"),
    };
    const slider = page.getByTestId("ws-wcolor");
    const box = await slider.boundingBox();
    assert.ok(box);
    // drag the thumb from near 1/10 to the far right (weight 10)
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 6 });
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2, { steps: 6 });
    await page.mouse.up();
    await page.waitForFunction(
      (w) => document.querySelector('[data-testid="ws-heat"]')?.getAttribute("data-weights") !== w,
      "1/1",
    );
    await page.waitForFunction(
      (b) =>
        document.querySelector('[data-testid="ws-metric-pixelAuroc"]')?.textContent !== b.auroc ||
        document.querySelector('[data-testid="ws-metric-pixelAp"]')?.textContent !== b.ap,
      before,
    );
    const wColor = Number(await page.getByTestId("ws-wcolor-value").inputValue());
    assert.ok(wColor > 5, `colour weight moved to ${wColor}`);
    assert.notEqual(await canvasDigest("ws-heat"), before.heat, "heat map repainted");
    const paintMs = Number(await page.getByTestId("ws-heat").getAttribute("data-paint-ms"));
    assert.ok(paintMs >= 0);
    // For a person to look at (not committed).
    await mkdir(join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-results/workspace.png") });
  });

  test("compares a second run (new filter sizes) against the pinned weighting", async () => {
    await page.getByTestId("ws-pin").click();
    await page.getByTestId("ws-pinned-label").waitFor();
    await page.getByTestId("ws-filter-color").fill("5");
    await page.getByTestId("ws-recompute").click();
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="ws-run"] option').length === 2,
      undefined,
      { timeout: 60_000 },
    );
    await page
      .getByTestId("ws-recompute")
      .filter({ hasText: "Recompute maps" })
      .waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="ws-metric-pixelAuroc"]')?.textContent !== "—",
    );
    const headers = await page.locator('[data-testid="ws-metrics"] th').allTextContents();
    assert.deepEqual(headers, ["Metric", "Current", "Pinned", "Δ"]);
    assert.equal(await page.locator(".ws-plot-pinned").count(), 4);
    // the pinned curve and the current one are drawn from different maps
    const rows = await page.locator('[data-testid="ws-metrics"] tbody tr').allTextContents();
    assert.equal(rows.length, 7);
  });

  test("applies the weighting to every weighted-sum node as one undoable edit", async () => {
    const w = Number(await page.getByTestId("ws-wcolor-value").inputValue());
    await page.getByTestId("ws-apply").click();
    assert.equal(await graphParam("test_sum", "colorWeight"), w);
    assert.equal(await graphParam("val_sum", "colorWeight"), w);
    assert.equal(await graphParam("test_color", "filterSize"), 5);
    await page.getByTestId("ws-close").click();
    await page.getByTestId("undo").click();
    assert.equal(await graphParam("test_sum", "colorWeight"), 1);
    assert.deepEqual(pageErrors, []);
  });
});
