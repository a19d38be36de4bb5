import {
  Background,
  BackgroundVariant,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  MiniMap,
  type NodeChange,
  ReactFlow,
  useReactFlow,
} from "@xyflow/react";
import { type DragEvent, useCallback, useEffect, useMemo, useState } from "react";
import { PORT_TYPES } from "../../../../nodes/sdk/ports.ts";
import { autoLayout, edgeId } from "../logic/graphOps.ts";
import { useController, useGraphState, useObservable, useRunState } from "../store/hooks.ts";
import { type CardNode, NodeCard } from "./NodeCard.tsx";

const nodeTypes = { edgrec: NodeCard };
export const PALETTE_MIME = "application/x-edgrec-node";

/**
 * The graph canvas. The graph store is the source of truth; React Flow nodes and edges are
 * derived from it. Positions of nodes being dragged live here until the drag ends, so a drag
 * is one undo step.
 */
export function GraphCanvas() {
  const c = useController();
  const { graph, selectedNodes, selectedEdges } = useGraphState();
  const run = useRunState();
  const { catalogue } = useObservable(c.status);
  const loads = useObservable(c.loads);
  const flow = useReactFlow();
  const [dragging, setDragging] = useState<Record<string, { x: number; y: number }>>({});
  // Sizes React Flow measured; controlled nodes must carry them back (minimap, fit view).
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});

  const nodes: CardNode[] = useMemo(() => {
    const sel = new Set(selectedNodes);
    const layout = autoLayout(graph);
    return graph.nodes.map((n) => ({
      id: n.id,
      type: "edgrec",
      position: dragging[n.id] ?? layout[n.id],
      measured: measured[n.id],
      selected: sel.has(n.id),
      data: {
        node: n,
        entry: catalogue.byType.get(n.type),
        run: run.nodes[n.id],
        issues: run.issues.filter((x) => x.nodeId === n.id),
      },
    }));
  }, [graph, selectedNodes, catalogue, run, dragging, measured]);

  const edges: Edge[] = useMemo(() => {
    const sel = new Set(selectedEdges);
    return graph.edges.map((e) => {
      const fromType = graph.nodes.find((n) => n.id === e.from.node)?.type;
      const port = fromType ? catalogue.byType.get(fromType)?.outputs[e.from.port] : undefined;
      const color = port ? PORT_TYPES[port.type].color : "#888";
      const id = edgeId(e);
      return {
        id,
        source: e.from.node,
        sourceHandle: e.from.port,
        target: e.to.node,
        targetHandle: e.to.port,
        selected: sel.has(id),
        style: { stroke: color, strokeWidth: sel.has(id) ? 3 : 2 },
        animated: run.active && run.nodes[e.to.node]?.status === "running",
      };
    });
  }, [graph, selectedEdges, catalogue, run]);

  useEffect(() => {
    if (loads.count === 0) return;
    // Fit once the new nodes have been measured.
    const t = setTimeout(() => flow.fitView({ padding: 0.15, duration: 200 }), 60);
    return () => clearTimeout(t);
  }, [loads, flow]);

  const onNodesChange = useCallback(
    (changes: NodeChange<CardNode>[]) => {
      const moves: Record<string, { x: number; y: number }> = {};
      const sizes: Record<string, { width: number; height: number }> = {};
      let sel: Set<string> | null = null;
      for (const ch of changes) {
        if (ch.type === "dimensions" && ch.dimensions) sizes[ch.id] = ch.dimensions;
        if (ch.type === "position" && ch.position) moves[ch.id] = ch.position;
        if (ch.type === "select") {
          sel ??= new Set(c.graph.getState().selectedNodes);
          if (ch.selected) sel.add(ch.id);
          else sel.delete(ch.id);
        }
      }
      if (Object.keys(moves).length > 0) setDragging((d) => ({ ...d, ...moves }));
      if (Object.keys(sizes).length > 0) setMeasured((m) => ({ ...m, ...sizes }));
      if (sel) c.graph.select([...sel], c.graph.getState().selectedEdges);
    },
    [c],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let sel: Set<string> | null = null;
      for (const ch of changes) {
        if (ch.type === "select") {
          sel ??= new Set(c.graph.getState().selectedEdges);
          if (ch.selected) sel.add(ch.id);
          else sel.delete(ch.id);
        }
      }
      if (sel) c.graph.select(c.graph.getState().selectedNodes, [...sel]);
    },
    [c],
  );

  const onNodeDragStop = useCallback(
    (_e: unknown, _node: CardNode, moved: CardNode[]) => {
      const positions: Record<string, { x: number; y: number }> = {};
      for (const n of moved) positions[n.id] = n.position;
      c.moveNodes(positions);
      setDragging({});
    },
    [c],
  );

  const onConnect = useCallback(
    (conn: Connection) => {
      if (!conn.sourceHandle || !conn.targetHandle) return;
      c.connect({
        source: conn.source,
        sourceHandle: conn.sourceHandle,
        target: conn.target,
        targetHandle: conn.targetHandle,
      });
    },
    [c],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      e.preventDefault();
      c.addNode(type, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [c, flow],
  );

  return (
    <div className="canvas" data-testid="canvas">
      <ReactFlow<CardNode, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onDrop={onDrop}
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = "copy";
        }}
        colorMode="dark"
        deleteKeyCode={null}
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        minZoom={0.1}
        maxZoom={2.5}
      >
        <Background variant={BackgroundVariant.Dots} gap={22} size={1.2} color="#3a4150" />
        <MiniMap
          pannable
          zoomable
          nodeColor={(n) => (n.selected ? "#7aa2f7" : "#5c6780")}
          nodeStrokeColor="#8a93a6"
          nodeBorderRadius={6}
          maskColor="rgba(12,14,19,0.65)"
        />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
