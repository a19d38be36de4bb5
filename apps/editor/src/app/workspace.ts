/**
 * The evaluation workspace's actions and state: opens a server evaluation session on a
 * finished run, rescoring on every weight/threshold change (latest wins: at most one request
 * in flight), per-sample float maps for browser-side recolouring, pinning a result to compare,
 * re-running only the colour/structure nodes for new filter sizes, and writing the chosen
 * weighting back into the graph as one undoable edit.
 */
import type { Graph } from "../../../runner/src/graph/schema.ts";
import type {
  EvalCurves,
  EvalMetrics,
  EvalOpened,
  EvalScores,
} from "../../../runner/src/protocol/eval-messages.ts";
import type { ServerMessage } from "../../../runner/src/protocol/messages.ts";
import type { RunnerClient } from "../protocol/client.ts";
import type { GraphStore } from "../store/graphStore.ts";
import { Observable } from "../store/observable.ts";

export type SortMode = "score" | "defect" | "errors";

export interface RunEntry {
  runId: string;
  label: string;
}

export interface Pinned {
  label: string;
  metrics: EvalMetrics;
  curves: EvalCurves;
  confusion?: EvalScores["confusion"];
}

export interface SampleMaps {
  sample: number;
  width: number;
  height: number;
  color: Float32Array;
  structure: Float32Array;
  mask: Uint8Array;
}

export interface Thumbs {
  side: number;
  count: number;
  rgb: Uint8Array;
  color: Float32Array;
  structure: Float32Array;
}

export interface WorkspaceState {
  open: boolean;
  runs: RunEntry[];
  session: EvalOpened | null;
  loading: string | null;
  error: string | null;
  wColor: number;
  wStructure: number;
  threshold: number | null;
  scale: "shared" | "per-image";
  sort: SortMode;
  scores: EvalScores | null;
  /** Round trip of the last rescore, ms (server compute + transfer). */
  rescoreMs: number | null;
  selected: number | null;
  maps: SampleMaps | null;
  thumbs: Thumbs | null;
  /** Image previews of the selected sample by stage key. */
  stageUrls: Record<string, string>;
  pinned: Pinned | null;
  filterColor: number | null;
  filterStructure: number | null;
  rerunning: boolean;
}

const WEIGHTED_SUM = "edgrec.weighted-sum";

function initial(): WorkspaceState {
  return {
    open: false,
    runs: [],
    session: null,
    loading: null,
    error: null,
    wColor: 1,
    wStructure: 1,
    threshold: null,
    scale: "shared",
    sort: "score",
    scores: null,
    rescoreMs: null,
    selected: null,
    maps: null,
    thumbs: null,
    stageUrls: {},
    pinned: null,
    filterColor: null,
    filterStructure: null,
    rerunning: false,
  };
}

/** Order of sample indices for the grid. */
export function sortSamples(
  samples: EvalOpened["samples"],
  scores: number[] | undefined,
  mode: SortMode,
  threshold: number | null,
): number[] {
  const idx = samples.map((_, i) => i);
  const score = (i: number) => scores?.[i] ?? 0;
  const byScore = (a: number, b: number) => score(b) - score(a);
  if (mode === "score") return idx.sort(byScore);
  if (mode === "defect") {
    return idx.sort((a, b) => samples[a].defect.localeCompare(samples[b].defect) || byScore(a, b));
  }
  // errors first: false positives (good scored above t), false negatives, then the rest
  const rank = (i: number) => {
    if (threshold === null) return 2;
    const pred = score(i) > threshold;
    if (samples[i].label === 0 && pred) return 0;
    if (samples[i].label === 1 && !pred) return 1;
    return 2;
  };
  return idx.sort((a, b) => rank(a) - rank(b) || byScore(a, b));
}

/** Outcome of one sample at the threshold: "FP", "FN", "TP", "TN" or null. */
export function outcome(label: number, score: number, threshold: number | null): string | null {
  if (threshold === null || label < 0) return null;
  const pred = score > threshold;
  return label === 1 ? (pred ? "TP" : "FN") : pred ? "FP" : "TN";
}

export class WorkspaceController {
  readonly state = new Observable<WorkspaceState>(initial());
  private inFlight = false;
  private dirty = false;
  private readonly ownIds = new Set<string>();
  private runCount = 0;

  constructor(
    private readonly client: RunnerClient,
    private readonly graph: GraphStore,
    private readonly notify: (kind: "info" | "error", text: string) => void,
  ) {}

  /** Tracks finished runs (the workspace can open any of the recent ones). */
  onServerMessage(m: ServerMessage): void {
    if (m.type === "error" && m.replyTo && this.pendingStage.has(m.replyTo)) {
      const p = this.pendingStage.get(m.replyTo);
      this.pendingStage.delete(m.replyTo);
      this.ownIds.delete(m.replyTo);
      this.state.set({ error: `No ${p?.key} image for this sample: ${m.error.message}` });
      return;
    }
    if (m.type !== "run-finished") return;
    const s = this.state.get();
    if (s.runs.some((r) => r.runId === m.runId)) return;
    const time = new Date().toLocaleTimeString([], { hour12: false });
    const entry = { runId: m.runId, label: `Run ${++this.runCount} · ${time}` };
    this.state.set({ runs: [entry, ...s.runs].slice(0, 8) });
  }

  /** True for preview replies the workspace asked for (not node thumbnails). */
  ownsReply(replyTo: string | undefined): boolean {
    return replyTo !== undefined && this.ownIds.has(replyTo);
  }

  close(): void {
    this.state.set({ open: false });
  }

  /** Opens the workspace on a run (default: the most recent finished run). */
  async open(runId?: string): Promise<void> {
    const s = this.state.get();
    const id = runId ?? s.runs[0]?.runId;
    this.state.set({ open: true });
    if (!id) {
      this.state.set({ error: "Run the graph once: the workspace evaluates a finished run." });
      return;
    }
    this.state.set({ loading: "Gathering cached maps of the test split…", error: null });
    try {
      const reply = await this.client.request({ type: "eval-open", runId: id }, 120_000);
      if (reply.type !== "eval-opened") throw new Error(`expected eval-opened, got ${reply.type}`);
      const keepWeights = s.session !== null;
      const frame = await this.client.requestFrame({
        type: "eval-thumbs",
        sessionId: reply.sessionId,
      });
      this.revokeStages();
      this.state.set({
        session: reply,
        loading: null,
        wColor: keepWeights ? s.wColor : reply.weights.color,
        wStructure: keepWeights ? s.wStructure : reply.weights.structure,
        threshold: keepWeights ? s.threshold : (reply.threshold?.value ?? null),
        thumbs: parseThumbs(frame.header.count, frame.header.width, frame.body),
        selected: null,
        maps: null,
        filterColor: reply.filterSizes.color ?? null,
        filterStructure: reply.filterSizes.structure ?? null,
      });
      await this.rescore();
    } catch (err) {
      this.state.set({ loading: null, error: (err as Error).message });
    }
  }

  /** Sets weights/threshold and rescores (only recombines cached maps on the server). */
  setWeights(patch: Partial<Pick<WorkspaceState, "wColor" | "wStructure" | "threshold">>): void {
    this.state.set(patch);
    void this.rescore();
  }

  setView(patch: Partial<Pick<WorkspaceState, "scale" | "sort">>): void {
    this.state.set(patch);
  }

  private async rescore(): Promise<void> {
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    const s = this.state.get();
    if (!s.session) return;
    this.inFlight = true;
    this.dirty = false;
    const t0 = performance.now();
    try {
      const reply = await this.client.request({
        type: "eval-rescore",
        sessionId: s.session.sessionId,
        wColor: s.wColor,
        wStructure: s.wStructure,
        ...(s.threshold !== null ? { threshold: s.threshold } : {}),
      });
      if (reply.type !== "eval-scores") throw new Error(`expected eval-scores, got ${reply.type}`);
      if (reply.sessionId === this.state.get().session?.sessionId) {
        this.state.set({ scores: reply, rescoreMs: performance.now() - t0, error: null });
      }
    } catch (err) {
      this.state.set({ error: (err as Error).message });
    } finally {
      this.inFlight = false;
      if (this.dirty) void this.rescore();
    }
  }

  /** Selects a sample: fetches its float maps and the previews of its intermediate images. */
  async select(sample: number): Promise<void> {
    const s = this.state.get();
    if (!s.session) return;
    this.revokeStages();
    this.state.set({ selected: sample, stageUrls: {} });
    const session = s.session;
    for (const st of session.stages) {
      if (st.key === "color" || st.key === "structure" || st.key === "mask") continue;
      const id = this.client.send({
        type: "preview",
        runId: session.runId,
        nodeId: st.nodeId,
        port: st.port,
        sample,
      });
      this.ownIds.add(id);
      this.pendingStage.set(id, { key: st.key, sample });
    }
    try {
      const f = await this.client.requestFrame({
        type: "eval-sample",
        sessionId: session.sessionId,
        sample,
      });
      if (this.state.get().selected !== sample) return;
      const px = f.header.width * f.header.height;
      const buf = f.body.buffer as ArrayBuffer;
      this.state.set({
        maps: {
          sample,
          width: f.header.width,
          height: f.header.height,
          color: new Float32Array(buf, f.body.byteOffset, px),
          structure: new Float32Array(buf, f.body.byteOffset + px * 4, px),
          mask: new Uint8Array(buf, f.body.byteOffset + px * 8, px),
        },
      });
    } catch (err) {
      this.state.set({ error: (err as Error).message });
    }
  }

  private readonly pendingStage = new Map<string, { key: string; sample: number }>();

  /** A preview reply for one of the selected sample's stages. */
  onStagePreview(replyTo: string, url: string): void {
    const p = this.pendingStage.get(replyTo);
    this.pendingStage.delete(replyTo);
    this.ownIds.delete(replyTo);
    if (!p || p.sample !== this.state.get().selected) {
      URL.revokeObjectURL(url);
      return;
    }
    this.state.set({ stageUrls: { ...this.state.get().stageUrls, [p.key]: url } });
  }

  private revokeStages(): void {
    for (const u of Object.values(this.state.get().stageUrls)) URL.revokeObjectURL(u);
  }

  /** Keeps the current result to compare against the next weighting or run. */
  pin(): void {
    const s = this.state.get();
    if (!s.scores || !s.session) return;
    const run = s.runs.find((r) => r.runId === s.session?.runId)?.label ?? "run";
    this.state.set({
      pinned: {
        label: `${run} · w ${fmtW(s.wColor)}/${fmtW(s.wStructure)}`,
        metrics: s.scores.metrics,
        curves: s.scores.curves,
        confusion: s.scores.confusion,
      },
    });
  }

  unpin(): void {
    this.state.set({ pinned: null });
  }

  setFilters(patch: { filterColor?: number; filterStructure?: number }): void {
    this.state.set(patch);
  }

  /** The graph with the workspace's weights (and filter sizes) in every weighted sum. */
  private withChoices(g: Graph, s: WorkspaceState): number {
    let n = 0;
    for (const node of g.nodes) {
      if (node.type === WEIGHTED_SUM) {
        node.params.colorWeight = s.wColor;
        node.params.structureWeight = s.wStructure;
        n++;
      }
    }
    if (s.session) {
      const set = (id: string, v: number | null) => {
        const node = g.nodes.find((x) => x.id === id);
        if (node && v !== null) node.params.filterSize = v;
      };
      set(s.session.color.nodeId, s.filterColor);
      set(s.session.structure.nodeId, s.filterStructure);
    }
    return n;
  }

  /** Writes the weighting into the graph: one undoable edit; the user saves as usual. */
  applyToGraph(): void {
    const s = this.state.get();
    let n = 0;
    this.graph.edit("apply workspace weighting", (g) => {
      n = this.withChoices(g as Graph, s);
    });
    this.notify(
      "info",
      `Weighting ${fmtW(s.wColor)}/${fmtW(s.wStructure)} written to ${n} weighted-sum node(s); save the graph to keep it`,
    );
  }

  /**
   * New filter sizes: re-runs only what the weighted sum needs (reconstructions and the model
   * come from the cache), then opens the new run.
   */
  async recomputeMaps(): Promise<void> {
    const s = this.state.get();
    if (!s.session) return;
    const graph = structuredClone(this.graph.getState().graph) as Graph;
    this.withChoices(graph, s);
    this.state.set({ rerunning: true, error: null });
    try {
      const done = new Promise<string>((resolve, reject) => {
        let runId: string | null = null;
        // Run messages can arrive before the run-accepted reply: remember endings by run id.
        const ended = new Map<string, Error | null>();
        const settle = (id: string) => {
          if (!ended.has(id)) return;
          off();
          const e = ended.get(id);
          if (e) reject(e);
          else resolve(id);
        };
        const off = this.client.onMessage((m) => {
          if (!("runId" in m) || !("seq" in m)) return;
          if (m.type === "run-finished") ended.set(m.runId, null);
          else if (m.type === "run-failed") ended.set(m.runId, new Error(m.error.message));
          else return;
          if (m.runId === runId) settle(runId);
        });
        this.client
          .request({ type: "run", graph, targets: [s.session?.sumNode as string] })
          .then((r) => {
            if (r.type !== "run-accepted") return;
            runId = r.runId;
            settle(runId);
          })
          .catch((e) => {
            off();
            reject(e);
          });
      });
      const runId = await done;
      this.onServerMessage({ type: "run-finished", runId, seq: 0, report: null });
      await this.open(runId);
    } catch (err) {
      this.state.set({ error: `Re-running the maps failed: ${(err as Error).message}` });
    } finally {
      this.state.set({ rerunning: false });
    }
  }
}

export function fmtW(w: number): string {
  return Number.isInteger(w) ? String(w) : w.toFixed(2);
}

function parseThumbs(count: number, side: number, body: Uint8Array): Thumbs {
  const rgbBytes = count * side * side * 3;
  const pad = (4 - (rgbBytes % 4)) % 4;
  const buf = body.buffer as ArrayBuffer;
  const o = body.byteOffset + rgbBytes + pad;
  const n = count * side * side;
  return {
    side,
    count,
    rgb: new Uint8Array(buf, body.byteOffset, rgbBytes),
    color: new Float32Array(buf, o, n),
    structure: new Float32Array(buf, o + n * 4, n),
  };
}
