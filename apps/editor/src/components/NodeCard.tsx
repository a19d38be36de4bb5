import type { Node, NodeProps } from "@xyflow/react";
import { memo } from "react";
import type { GraphNode } from "../../../runner/src/graph/schema.ts";
import type { CatalogueEntry } from "../logic/catalogue.ts";
import type { NodeRunState, ValidationIssue } from "../store/runStore.ts";
import { PortRow } from "./PortRow.tsx";
import { ProgressBar } from "./ProgressBar.tsx";
import { Sparkline } from "./Sparkline.tsx";
import { StateBadge } from "./StateBadge.tsx";

export type CardData = {
  node: GraphNode;
  entry?: CatalogueEntry;
  run?: NodeRunState;
  issues: ValidationIssue[];
};

export type CardNode = Node<CardData, "edgrec">;

/** A node on the canvas: title, state, ports with coloured handles, progress and preview. */
function NodeCardImpl({ data, selected }: NodeProps<CardNode>) {
  const { node, entry, run, issues } = data;
  const portIssue = (port: string) => issues.find((i) => i.port === port)?.message;
  const nodeIssues = issues.filter((i) => !i.port);
  const failed = run?.status === "failed";
  return (
    <div
      className={`card${selected ? " card-selected" : ""}${issues.length ? " card-invalid" : ""}${
        failed ? " card-failed" : ""
      }`}
      data-testid={`node-${node.id}`}
      data-status={run?.status ?? "idle"}
    >
      <div className="card-head">
        <div className="card-titles">
          <div className="card-title">{node.title ?? entry?.title ?? node.type}</div>
          <div className="card-id">{node.id}</div>
        </div>
        <StateBadge state={run} />
      </div>
      {!entry && <div className="card-issue">Unknown node type {node.type}</div>}
      <div className="card-ports">
        <div className="card-inputs">
          {Object.entries(entry?.inputs ?? {}).map(([name, spec]) => (
            <PortRow key={name} name={name} spec={spec} side="in" issue={portIssue(name)} />
          ))}
        </div>
        <div className="card-outputs">
          {Object.entries(entry?.outputs ?? {}).map(([name, spec]) => (
            <PortRow key={name} name={name} spec={spec} side="out" issue={portIssue(name)} />
          ))}
        </div>
      </div>
      {run?.status === "running" && run.total !== undefined && (
        <ProgressBar step={run.step ?? 0} total={run.total} etaMs={run.etaMs} />
      )}
      {run?.message && run.status === "running" && (
        <div className="card-message">{run.message}</div>
      )}
      {run && run.losses.length > 1 && <Sparkline values={run.losses} />}
      {failed && run?.error && <div className="card-issue">{run.error}</div>}
      {nodeIssues.slice(0, 2).map((i) => (
        <div className="card-issue" key={`${i.code}:${i.param ?? ""}:${i.message}`}>
          {i.message}
        </div>
      ))}
      {nodeIssues.length > 2 && (
        <div className="card-issue">+{nodeIssues.length - 2} more problems</div>
      )}
      {run?.preview && (
        <div className="card-preview">
          <img
            src={run.preview.url}
            alt={`${node.id} ${run.preview.port} preview`}
            data-testid="preview"
            className={run.preview.width < 64 ? "pixelated" : undefined}
          />
          <span className="card-preview-label">
            {run.preview.port}
            {run.preview.label ? ` · ${run.preview.label}` : ""}
          </span>
        </div>
      )}
    </div>
  );
}

export const NodeCard = memo(NodeCardImpl);
