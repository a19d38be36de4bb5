/**
 * The production end of an inspection graph: one score and a pass/fail decision per image
 * from a stored threshold, heatmap overlays, and a JSON and CSV report. Images that could not
 * be inspected are listed with the reason, the report is still written, and the node then
 * fails so that `edgrec run` exits non-zero.
 */
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../apps/runner/src/atomic.ts";
import { topKMean } from "./image-score.ts";
import { writeOverlayPng } from "./lib/overlay-file.ts";
import { outFolderParam } from "./lib/params.ts";
import { dataError, toErrorInfo } from "./sdk/errors.ts";
import type { FloatImage, ScoreMap } from "./sdk/image.ts";
import { defineNode, type SampleStream } from "./sdk/node.ts";
import type { ReportValue, ThresholdValue } from "./sdk/values.ts";

export interface InspectionRow {
  id: string;
  path?: string;
  status: "inspected" | "failed";
  score?: number;
  decision?: "pass" | "fail";
  overlay?: string;
  error?: string;
  ms?: number;
}

const csvCell = (v: unknown) => {
  const s = v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export default defineNode({
  type: "edgrec.inspect-report",
  version: 1,
  title: "Inspection report",
  category: "Export",
  description:
    "Scores each image (maximum of its map, or top-k mean), decides fail when the score is above the stored threshold, writes overlays (colour scale 0 to 2x threshold, so the threshold sits mid-scale) and report.json / report.csv. Lists images that could not be inspected, then fails the run if there were any.",
  kind: "task",
  inputs: {
    map: { type: "ScoreMap" },
    threshold: { type: "Threshold" },
    image: { type: "Image", optional: true, title: "images (for overlays)" },
  },
  outputs: { report: { type: "Report" } },
  params: z.object({
    folder: outFolderParam("inspection"),
    scoreMethod: z
      .enum(["max", "top-k-mean"])
      .default("max")
      .describe("Must match how the threshold was set"),
    k: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(100)
      .describe("Pixels averaged by top-k-mean"),
    overlays: z.boolean().default(true).describe("Write heatmap overlays for every image"),
  }),
  async run(inputs, params, ctx) {
    const maps = inputs.map as SampleStream<ScoreMap>;
    const images = inputs.image as SampleStream<FloatImage> | undefined;
    const threshold = inputs.threshold as ThresholdValue | undefined;
    if (!threshold || typeof threshold.value !== "number") {
      throw dataError(
        "E_NO_THRESHOLD",
        `node "${ctx.nodeId}": no decision threshold`,
        "train with the default graph (it stores threshold.json beside the model) or connect a Threshold node in 'fixed' mode",
      );
    }
    const root = ctx.resolvePath("out", join(ctx.outDir, params.folder));
    const rows: InspectionRow[] = [];
    const reportRows = async () => {
      const failedCount = rows.filter((r) => r.status === "failed").length;
      const summary = {
        images: maps.length,
        inspected: rows.length - failedCount,
        failedToInspect: failedCount,
        notReached: maps.length - rows.length,
        passed: rows.filter((r) => r.decision === "pass").length,
        rejected: rows.filter((r) => r.decision === "fail").length,
        threshold: threshold.value,
        thresholdSource: threshold.source,
        scoreMethod: params.scoreMethod === "max" ? "max" : `top-${params.k} mean`,
      };
      await writeFileAtomic(
        join(root, "report.json"),
        `${JSON.stringify({ summary, images: rows }, null, 2)}\n`,
      );
      const header = [
        "id",
        "path",
        "status",
        "score",
        "decision",
        "overlay",
        "error",
        "ms",
      ] as const;
      const csv = [
        header.join(","),
        ...rows.map((r) => header.map((h) => csvCell(r[h])).join(",")),
      ].join("\n");
      await writeFileAtomic(join(root, "report.csv"), `${csv}\n`);
      return summary;
    };
    for (let i = 0; i < maps.length; i++) {
      if (ctx.signal.aborted) {
        await reportRows();
        ctx.signal.throwIfAborted();
      }
      const info = maps.info(i);
      const t0 = performance.now();
      try {
        const map = await maps.get(i);
        const score = topKMean(map.data, params.scoreMethod === "max" ? 1 : params.k);
        const row: InspectionRow = {
          id: info.id,
          path: info.path,
          status: "inspected",
          score,
          decision: score > threshold.value ? "fail" : "pass",
        };
        if (params.overlays && images) {
          const file = join(root, `${info.id}_overlay.png`);
          await writeOverlayPng(file, await images.get(i), map, {
            min: 0,
            max: Math.max(2 * threshold.value, 1e-9),
          });
          row.overlay = file;
        }
        row.ms = Math.round(performance.now() - t0);
        rows.push(row);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        rows.push({
          id: info.id,
          path: info.path,
          status: "failed",
          error: toErrorInfo(err).message,
        });
      }
      // Keep the on-disk report current so a killed run still says which images were done:
      // after every image while the report is small (a few ms each), every 10th beyond that
      // so a 10 000-image run does not rewrite megabytes per image.
      if (i < 200 || (i + 1) % 10 === 0) await reportRows();
      ctx.progress({ step: i + 1, total: maps.length, message: info.id });
    }
    const summary = await reportRows();
    const report: ReportValue = {
      files: [join(root, "report.json"), join(root, "report.csv")],
      summary,
    };
    ctx.record("inspection", summary);
    if (summary.failedToInspect > 0) {
      const failed = rows.filter((r) => r.status === "failed");
      throw dataError(
        "E_NOT_INSPECTED",
        `${failed.length} of ${maps.length} image(s) could not be inspected: ${failed.map((r) => `${r.path ?? r.id} (${r.error})`).join("; ")}`,
        `the report in ${root} lists every image; replace the unreadable files and run again`,
      );
    }
    return { report, rows };
  },
});
