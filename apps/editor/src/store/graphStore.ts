/**
 * The editor's document: the graph being edited, its library name, the selection, and an
 * undo/redo history of immer patches (each edit keeps its forward and inverse patches, so
 * history costs the size of the changes, not of the graph). Framework-free: React reads it
 * through `useGraphStore`.
 */
import { applyPatches, enablePatches, type Patch, produceWithPatches } from "immer";
import type { Graph } from "../../../runner/src/graph/schema.ts";
import { emptyGraph } from "../logic/graphOps.ts";

enablePatches();

export interface HistoryStep {
  label: string;
  patches: Patch[];
  inverse: Patch[];
  /** Edits with the same key in quick succession (a slider drag) merge into one step. */
  coalesce?: string;
  at: number;
}

/** Edits closer than this with the same coalesce key become one undo step. */
const COALESCE_MS = 1000;

export interface GraphState {
  graph: Graph;
  /** Name in the server's graph library, when it came from or went to it. */
  libraryName: string | null;
  selectedNodes: string[];
  selectedEdges: string[];
  /** Bumps on every graph change (edits, undo, load): validation and autosave key on it. */
  revision: number;
  /** True when the graph changed since it was loaded or saved. */
  dirty: boolean;
  canUndo: boolean;
  canRedo: boolean;
}

/** Keep history bounded: a long session of slider drags must not grow memory forever. */
const MAX_HISTORY = 500;

export class GraphStore {
  private state: GraphState;
  private past: HistoryStep[] = [];
  private future: HistoryStep[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(graph: Graph = emptyGraph()) {
    this.state = {
      graph,
      libraryName: null,
      selectedNodes: [],
      selectedEdges: [],
      revision: 0,
      dirty: false,
      canUndo: false,
      canRedo: false,
    };
  }

  getState = (): GraphState => this.state;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  private set(patch: Partial<GraphState>): void {
    this.state = {
      ...this.state,
      ...patch,
      canUndo: this.past.length > 0,
      canRedo: this.future.length > 0,
    };
    for (const fn of this.listeners) fn();
  }

  /**
   * Applies one undoable edit. The recipe mutates an immer draft; its return value is passed
   * through (e.g. a new node id). An edit that changes nothing leaves history alone. With a
   * `coalesce` key, an edit following one with the same key within a second extends that
   * step instead of adding one (so a slider drag undoes in one go).
   */
  edit<T>(label: string, recipe: (draft: Graph) => T, coalesce?: string): T {
    let result: T | undefined;
    const [next, patches, inverse] = produceWithPatches(this.state.graph, (d) => {
      result = recipe(d as Graph);
    });
    if (patches.length > 0) {
      const now = Date.now();
      const last = this.past.at(-1);
      if (coalesce && last?.coalesce === coalesce && now - last.at < COALESCE_MS) {
        // Forward patches run in order; inverse ones must undo the newest change first.
        last.patches = [...last.patches, ...patches];
        last.inverse = [...inverse, ...last.inverse];
        last.at = now;
      } else {
        this.past.push({ label, patches, inverse, coalesce, at: now });
      }
      if (this.past.length > MAX_HISTORY) this.past.shift();
      this.future = [];
      this.set({ graph: next, revision: this.state.revision + 1, dirty: true });
    }
    return result as T;
  }

  undo(): string | null {
    return this.travel(this.past, this.future, "inverse");
  }

  redo(): string | null {
    return this.travel(this.future, this.past, "patches");
  }

  /** Moves one history step from `from` to `to`, applying its patches in that direction. */
  private travel(
    from: HistoryStep[],
    to: HistoryStep[],
    direction: "inverse" | "patches",
  ): string | null {
    const step = from.pop();
    if (!step) return null;
    to.push(step);
    const graph = applyPatches(this.state.graph, step[direction]);
    this.set({
      graph,
      revision: this.state.revision + 1,
      dirty: true,
      ...this.pruneSelection(graph),
    });
    return step.label;
  }

  /** Replaces the document (open, upload, new): clears history and selection. */
  load(graph: Graph, libraryName: string | null): void {
    this.past = [];
    this.future = [];
    this.set({
      graph,
      libraryName,
      selectedNodes: [],
      selectedEdges: [],
      revision: this.state.revision + 1,
      dirty: false,
    });
  }

  markSaved(libraryName: string): void {
    this.set({ libraryName, dirty: false });
  }

  select(nodes: string[], edges: string[]): void {
    const same =
      nodes.length === this.state.selectedNodes.length &&
      edges.length === this.state.selectedEdges.length &&
      nodes.every((n, i) => n === this.state.selectedNodes[i]) &&
      edges.every((e, i) => e === this.state.selectedEdges[i]);
    if (!same) this.set({ selectedNodes: nodes, selectedEdges: edges });
  }

  /** Labels of the undo and redo stacks, most recent last (for tooltips and tests). */
  history(): { undo: string[]; redo: string[] } {
    return { undo: this.past.map((s) => s.label), redo: this.future.map((s) => s.label) };
  }

  private pruneSelection(graph: Graph): Pick<GraphState, "selectedNodes"> {
    const ids = new Set(graph.nodes.map((n) => n.id));
    return { selectedNodes: this.state.selectedNodes.filter((id) => ids.has(id)) };
  }
}
