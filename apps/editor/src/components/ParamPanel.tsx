import { useMemo } from "react";
import { fieldsFromSchema } from "../logic/fields.ts";
import { useController, useGraphState, useObservable, useRunState } from "../store/hooks.ts";
import { formatMs } from "../store/runStore.ts";
import { ParamField } from "./ParamField.tsx";

/** Side panel for the selected node: description, run controls and schema-driven fields. */
export function ParamPanel() {
  const c = useController();
  const { graph, selectedNodes } = useGraphState();
  const run = useRunState();
  const { catalogue } = useObservable(c.status);
  const node =
    selectedNodes.length === 1 ? graph.nodes.find((n) => n.id === selectedNodes[0]) : undefined;
  const entry = node ? catalogue.byType.get(node.type) : undefined;
  const fields = useMemo(() => (entry ? fieldsFromSchema(entry.params, entry.paths) : []), [entry]);

  if (!node) {
    return (
      <aside className="inspector" data-testid="inspector">
        <div className="panel-title">Parameters</div>
        <div className="muted pad">
          {selectedNodes.length > 1
            ? `${selectedNodes.length} nodes selected. Ctrl+C copies them, Delete removes them.`
            : "Select a node to edit its parameters."}
        </div>
        <div className="shortcuts">
          <div>
            <kbd>Ctrl</kbd>+<kbd>Z</kbd> undo · <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Z</kbd> redo
          </div>
          <div>
            <kbd>Ctrl</kbd>+<kbd>C</kbd>/<kbd>V</kbd> copy/paste · <kbd>Del</kbd> delete
          </div>
          <div>
            <kbd>F</kbd> fit view · <kbd>Shift</kbd>+drag box select
          </div>
        </div>
      </aside>
    );
  }

  const state = run.nodes[node.id];
  const issues = run.issues.filter((i) => i.nodeId === node.id);
  return (
    <aside className="inspector" data-testid="inspector">
      <div className="panel-title">{entry?.title ?? node.type}</div>
      <div className="inspector-meta">
        <code>{node.id}</code> · <code>{node.type}</code>
        {entry && <span className="tag">{entry.kind}</span>}
      </div>
      {entry && <p className="inspector-desc">{entry.description}</p>}
      <div className="inspector-actions">
        <button
          type="button"
          className="btn btn-primary"
          disabled={run.active}
          onClick={() => c.runGraph([node.id])}
          data-testid="run-to-node"
        >
          ▶ Run to here
        </button>
        {state?.ms !== undefined && <span className="muted">last: {formatMs(state.ms)}</span>}
      </div>
      {issues
        .filter((i) => !i.param)
        .map((i) => (
          <div className="issue" key={`${i.code}:${i.port ?? ""}:${i.message}`}>
            <strong>{i.message}</strong>
            <div>{i.hint}</div>
          </div>
        ))}
      {fields.length === 0 && <div className="muted pad">This node has no parameters.</div>}
      <div className="fields">
        {fields.map((f) => (
          <ParamField
            key={`${node.id}.${f.name}`}
            field={f}
            value={node.params[f.name]}
            serverIssue={issues.find((i) => i.param === f.name)?.message}
            onChange={(v) => c.setParam(node.id, f.name, v)}
          />
        ))}
      </div>
    </aside>
  );
}
