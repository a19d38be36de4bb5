/**
 * The editor's actions, between the UI and the stores/protocol client: opening and saving
 * graphs, edits, runs, validation. Components call these and read the stores; they never
 * talk to the socket themselves.
 */

import { PORT_TYPES } from "../../../../nodes/sdk/ports.ts";
import { type Graph, parseGraph, serializeGraph } from "../../../runner/src/graph/schema.ts";
import type { ServerMessage } from "../../../runner/src/protocol/messages.ts";
import { type Catalogue, parseCatalogue } from "../logic/catalogue.ts";
import { type ConnectionRequest, checkConnection } from "../logic/connect.ts";
import {
  addNode,
  autoLayout,
  copyFragment,
  edgeId,
  emptyGraph,
  parseFragment,
  pasteFragment,
  removeItems,
} from "../logic/graphOps.ts";
import { RunnerClient } from "../protocol/client.ts";
import { GraphStore } from "../store/graphStore.ts";
import { Observable } from "../store/observable.ts";
import { RunStore } from "../store/runStore.ts";
import { WorkspaceController } from "./workspace.ts";

export interface LibraryItem {
  name: string;
  builtin: boolean;
  modified: string;
}

export interface Notice {
  id: number;
  kind: "info" | "error";
  text: string;
}

export interface AppStatus {
  connection: "connecting" | "open" | "closed";
  server: string;
  catalogue: Catalogue;
  library: LibraryItem[];
  notices: Notice[];
  dialog: null | "open" | "new" | "save";
  recent: string[];
}

export const DEFAULT_GRAPH = "edgrec";
const RECENT_KEY = "edgrec.recentGraphs";
const CLIPBOARD_KEY = "edgrec.clipboard";
const VALIDATE_DELAY_MS = 250;
/** Per-sample types a preview request can show as an image. */
const IMAGE_TYPES = new Set(["Image", "Gray", "Edge", "Mask", "ScoreMap"]);

function readRecent(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export class EditorController {
  readonly graph = new GraphStore();
  readonly run = new RunStore();
  readonly client = new RunnerClient();
  readonly status = new Observable<AppStatus>({
    connection: "connecting",
    server: "",
    catalogue: { entries: [], byType: new Map() },
    library: [],
    notices: [],
    dialog: null,
    recent: readRecent(),
  });
  /** The evaluation workspace (sample browser, live reweighting, comparison). */
  readonly workspace = new WorkspaceController(this.client, this.graph, (kind, text) =>
    this.notify(kind, text),
  );
  /** Bumps when a different graph is loaded, so the canvas fits the view. */
  readonly loads = new Observable<{ count: number }>({ count: 0 });
  private noticeSeq = 0;
  private validateTimer: ReturnType<typeof setTimeout> | undefined;
  private lastValidated = -1;
  /** Run messages that arrived before the run-accepted reply (server may stream at once). */
  private early: ServerMessage[] = [];

  get catalogue(): Catalogue {
    return this.status.get().catalogue;
  }

  /** Connects, loads the catalogue and the graph library, then opens the default graph. */
  async start(url: string): Promise<void> {
    this.client.onMessage((m) => this.onServerMessage(m));
    this.client.onPreview((h, png) => {
      const url = URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: h.mime }));
      if (this.workspace.ownsReply(h.replyTo)) {
        this.workspace.onStagePreview(h.replyTo as string, url);
        return;
      }
      this.run.setPreview(
        h.nodeId,
        { url, port: h.port, sample: h.sample, label: h.label, width: h.width, height: h.height },
        h.runId,
      );
    });
    this.client.onClose((reason) => {
      this.status.set({ connection: "closed" });
      this.notify("error", `Lost the runner: ${reason}. Reload the page once it runs again.`);
    });
    this.graph.subscribe(() => this.validateSoon());
    try {
      const hello = await this.client.connect(url);
      this.status.set({ connection: "open", server: `${hello.server} ${hello.runnerVersion}` });
      const cat = await this.client.request({ type: "get-catalogue" });
      if (cat.type !== "catalogue") throw new Error(`expected a catalogue, got ${cat.type}`);
      this.status.set({ catalogue: parseCatalogue(cat.catalogue) });
      await this.refreshLibrary();
    } catch (err) {
      this.status.set({ connection: "closed" });
      this.notify("error", (err as Error).message);
      return;
    }
    const has = this.status.get().library.some((g) => g.name === DEFAULT_GRAPH);
    // The user may open a dialog or another graph while the default one is on its way: the
    // default must then neither close that dialog nor replace that graph.
    if (has) await this.openLibrary(DEFAULT_GRAPH, { closeDialog: false, onlyIfUntouched: true });
    else {
      this.graph.load(emptyGraph(), null);
      this.loads.set({ count: this.loads.get().count + 1 });
      this.notify(
        "info",
        `The default "${DEFAULT_GRAPH}" graph is not in the runner's library; starting with an empty graph.`,
      );
    }
  }

  notify(kind: Notice["kind"], text: string): void {
    const id = ++this.noticeSeq;
    this.status.set({ notices: [...this.status.get().notices, { id, kind, text }].slice(-4) });
    setTimeout(() => this.dismiss(id), kind === "error" ? 8000 : 4000);
  }

  dismiss(id: number): void {
    this.status.set({ notices: this.status.get().notices.filter((n) => n.id !== id) });
  }

  openDialog(dialog: AppStatus["dialog"]): void {
    this.status.set({ dialog });
    if (dialog === "open" || dialog === "new") {
      // One retry: right after a reload the socket may still be saying hello.
      this.refreshLibrary()
        .catch(() => new Promise((r) => setTimeout(r, 500)).then(() => this.refreshLibrary()))
        .catch((err) =>
          this.notify("error", `Cannot list the graph library: ${(err as Error).message}`),
        );
    }
  }

  // ---- documents -------------------------------------------------------------------------

  async refreshLibrary(): Promise<void> {
    const list = await this.client.request({ type: "list-graphs" });
    if (list.type !== "graph-list") throw new Error(`unexpected answer ${list.type}`);
    this.status.set({ library: list.graphs });
  }

  private setDocument(graph: Graph, libraryName: string | null): void {
    this.graph.load(graph, libraryName);
    this.run.clear();
    this.loads.set({ count: this.loads.get().count + 1 });
    if (libraryName) this.remember(libraryName);
  }

  private remember(name: string): void {
    const recent = [name, ...readRecent().filter((n) => n !== name)].slice(0, 8);
    localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
    this.status.set({ recent });
  }

  async openLibrary(
    name: string,
    options: { closeDialog?: boolean; onlyIfUntouched?: boolean } = {},
  ): Promise<void> {
    const loadsBefore = this.loads.get().count;
    try {
      const reply = await this.client.request({ type: "load-graph", name });
      if (reply.type !== "graph") throw new Error(`expected a graph, got ${reply.type}`);
      if (options.onlyIfUntouched && this.loads.get().count !== loadsBefore) return;
      this.setDocument(parseGraph(reply.graph, `library graph "${name}"`), name);
      if (options.closeDialog !== false) this.status.set({ dialog: null });
    } catch (err) {
      this.notify("error", `Cannot open "${name}": ${(err as Error).message}`);
    }
  }

  /** New document: empty, or a copy of a library graph used as a template (not linked to it). */
  async newGraph(template: string | null): Promise<void> {
    if (!template) {
      this.setDocument(emptyGraph(), null);
      this.status.set({ dialog: null });
      return;
    }
    try {
      const reply = await this.client.request({ type: "load-graph", name: template });
      if (reply.type !== "graph") throw new Error(`expected a graph, got ${reply.type}`);
      const g = parseGraph(reply.graph, `template "${template}"`);
      this.setDocument({ ...g, name: `${g.name} copy` }, null);
      this.status.set({ dialog: null });
    } catch (err) {
      this.notify("error", `Cannot use template "${template}": ${(err as Error).message}`);
    }
  }

  async saveToLibrary(name: string): Promise<boolean> {
    try {
      const reply = await this.client.request({
        type: "save-graph",
        name,
        graph: this.graph.getState().graph,
      });
      if (reply.type !== "graph-saved") throw new Error(`expected graph-saved, got ${reply.type}`);
      this.graph.markSaved(reply.name);
      this.remember(reply.name);
      this.notify("info", `Saved "${reply.name}" to the library`);
      this.status.set({ dialog: null });
      await this.refreshLibrary();
      return true;
    } catch (err) {
      this.notify("error", `Cannot save "${name}": ${(err as Error).message}`);
      return false;
    }
  }

  /** Downloads the graph as canonical JSON (the same text the runner writes). */
  download(): void {
    const g = this.graph.getState().graph;
    const blob = new Blob([serializeGraph(g)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${(this.graph.getState().libraryName ?? g.name).replace(/[^\w.-]+/g, "_")}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  async upload(file: File): Promise<void> {
    try {
      const g = parseGraph(await file.text(), file.name);
      this.setDocument(g, null);
      this.status.set({ dialog: null });
      this.notify("info", `Opened ${file.name}`);
    } catch (err) {
      this.notify("error", (err as Error).message);
    }
  }

  // ---- edits -----------------------------------------------------------------------------

  addNode(type: string, pos: { x: number; y: number }): void {
    const entry = this.catalogue.byType.get(type);
    if (!entry) {
      this.notify("error", `Unknown node type ${type}`);
      return;
    }
    const id = this.graph.edit(`add ${entry.title}`, (g) => {
      // Pin auto-placed nodes first, so the new one can avoid landing on them.
      Object.assign(g.layout, autoLayout(g));
      return addNode(g, entry, pos);
    });
    this.graph.select([id], []);
  }

  /** Connects two ports, or shows why not. Returns whether an edge was made. */
  connect(req: ConnectionRequest): boolean {
    const verdict = checkConnection(this.graph.getState().graph, this.catalogue, req);
    if (!verdict.ok) {
      this.notify("error", verdict.reason);
      return false;
    }
    this.graph.edit("connect", (g) => {
      if (verdict.replaces) {
        const old = edgeId(verdict.replaces);
        g.edges = g.edges.filter((e) => edgeId(e) !== old);
      }
      g.edges.push(verdict.edge);
    });
    return true;
  }

  setParam(nodeId: string, name: string, value: unknown): void {
    this.graph.edit(
      `set ${nodeId}.${name}`,
      (g) => {
        const n = g.nodes.find((x) => x.id === nodeId);
        if (!n) return;
        if (value === undefined) delete n.params[name];
        else n.params[name] = value;
      },
      `${nodeId}.${name}`,
    );
  }

  moveNodes(positions: Record<string, { x: number; y: number }>): void {
    this.graph.edit("move", (g) => {
      for (const [id, p] of Object.entries(positions)) {
        g.layout[id] = { x: Math.round(p.x), y: Math.round(p.y) };
      }
    });
  }

  deleteSelection(): void {
    const { selectedNodes, selectedEdges } = this.graph.getState();
    if (selectedNodes.length + selectedEdges.length === 0) return;
    this.graph.edit("delete", (g) => removeItems(g, selectedNodes, selectedEdges));
    this.graph.select([], []);
  }

  selectAll(): void {
    this.graph.select(
      this.graph.getState().graph.nodes.map((n) => n.id),
      [],
    );
  }

  /** Copies the selection to localStorage (works across graphs and tabs) and the clipboard. */
  copy(): void {
    const { graph, selectedNodes } = this.graph.getState();
    if (selectedNodes.length === 0) return;
    const text = JSON.stringify(copyFragment(graph, selectedNodes));
    localStorage.setItem(CLIPBOARD_KEY, text);
    navigator.clipboard?.writeText(text).catch(() => {
      // Clipboard permission is optional: localStorage already holds the copy.
    });
    this.notify("info", `Copied ${selectedNodes.length} node(s)`);
  }

  async paste(): Promise<void> {
    let text: string | null = null;
    try {
      text = (await navigator.clipboard?.readText()) ?? null;
    } catch {
      text = null;
    }
    const fragment = parseFragment(text) ?? parseFragment(localStorage.getItem(CLIPBOARD_KEY));
    if (!fragment) {
      this.notify("info", "Nothing to paste: copy some nodes first");
      return;
    }
    const ids = this.graph.edit("paste", (g) => pasteFragment(g, fragment));
    this.graph.select(ids, []);
  }

  undo(): void {
    this.graph.undo();
  }

  redo(): void {
    this.graph.redo();
  }

  // ---- runner ----------------------------------------------------------------------------

  validateSoon(): void {
    clearTimeout(this.validateTimer);
    this.validateTimer = setTimeout(() => {
      const { revision, graph } = this.graph.getState();
      if (revision === this.lastValidated || this.status.get().connection !== "open") return;
      this.lastValidated = revision;
      try {
        this.client.send({ type: "validate", graph });
      } catch {
        // Not connected: the close notice already says so.
      }
    }, VALIDATE_DELAY_MS);
  }

  /** Runs the graph, or only what `targets` need. */
  async runGraph(targets?: string[]): Promise<void> {
    if (this.run.getState().active) {
      this.notify("info", "A run is already going");
      return;
    }
    this.early = [];
    try {
      const reply = await this.client.request({
        type: "run",
        graph: this.graph.getState().graph,
        ...(targets && targets.length > 0 ? { targets } : {}),
      });
      if (reply.type !== "run-accepted")
        throw new Error(`expected run-accepted, got ${reply.type}`);
      for (const m of this.early.filter((x) => "runId" in x && x.runId === reply.runId)) {
        this.run.apply(m);
      }
      this.early = [];
      // The runner subscribes the submitting connection itself (replaying from seq 0).
    } catch (err) {
      this.run.fail(`Run refused: ${(err as Error).message}`);
      this.notify("error", `Run refused: ${(err as Error).message}`);
    }
  }

  cancel(): void {
    const { runId, active } = this.run.getState();
    if (!runId || !active) return;
    this.client.send({ type: "cancel", runId });
  }

  private onServerMessage(m: ServerMessage): void {
    this.workspace.onServerMessage(m);
    const current = this.run.getState().runId;
    if ("seq" in m && m.runId !== current && this.early.length < 1000) {
      this.early.push(m);
      return;
    }
    this.run.apply(m);
    if (m.type === "run-finished") this.requestMissingPreviews(m.runId);
  }

  /**
   * The engine previews only the ends of the computed graph; ask for sample 0 of every other
   * image-like output so each node shows what it made.
   */
  private requestMissingPreviews(runId: string): void {
    const { nodes } = this.run.getState();
    const graph = this.graph.getState().graph;
    let asked = 0;
    for (const n of graph.nodes) {
      const st = nodes[n.id];
      if (!st || st.preview || (st.status !== "done" && st.status !== "cached")) continue;
      const entry = this.catalogue.byType.get(n.type);
      const port = Object.entries(entry?.outputs ?? {}).find(
        ([, p]) => IMAGE_TYPES.has(p.type) && PORT_TYPES[p.type].perSample,
      )?.[0];
      if (!port || asked++ >= 40) continue;
      // The answer is a binary frame (handled by onPreview) or an error nobody needs to see:
      // a node whose value cannot be previewed just keeps an empty thumbnail.
      this.client.send({ type: "preview", runId, nodeId: n.id, port, sample: 0 });
    }
  }
}
