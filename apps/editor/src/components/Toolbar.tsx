import { useRef } from "react";
import { useController, useGraphState, useRunState } from "../store/hooks.ts";

/** Top bar: document actions, history, run controls and the run summary. */
export function Toolbar() {
  const c = useController();
  const { graph, libraryName, dirty, canUndo, canRedo, selectedNodes } = useGraphState();
  const run = useRunState();
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <header className="toolbar">
      <div className="brand">
        <span className="brand-mark">◆</span> EdgRec Studio
      </div>
      <div className="doc-name" data-testid="doc-name" title="Graph name (library name)">
        {libraryName ?? graph.name}
        {dirty && (
          <span className="dirty" title="Unsaved changes">
            {" "}
            ●
          </span>
        )}
      </div>
      <div className="toolbar-group">
        <button type="button" className="btn" onClick={() => c.openDialog("new")}>
          New
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => c.openDialog("open")}
          data-testid="open"
        >
          Open
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => c.openDialog("save")}
          data-testid="save"
        >
          Save
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => c.download()}
          title="Download the graph as a JSON file"
        >
          Download
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => fileInput.current?.click()}
          title="Open a graph JSON file from this computer"
        >
          Upload
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,application/json"
          hidden
          data-testid="upload"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) c.upload(f);
            e.target.value = "";
          }}
        />
      </div>
      <div className="toolbar-group">
        <button
          type="button"
          className="btn"
          disabled={!canUndo}
          onClick={() => c.undo()}
          title="Undo (Ctrl+Z)"
          data-testid="undo"
        >
          ↶
        </button>
        <button
          type="button"
          className="btn"
          disabled={!canRedo}
          onClick={() => c.redo()}
          title="Redo (Ctrl+Shift+Z)"
          data-testid="redo"
        >
          ↷
        </button>
      </div>
      <div className="toolbar-spacer" />
      <div className={`run-summary${run.failed ? " run-failed" : ""}`} data-testid="run-summary">
        {run.summary}
      </div>
      <div className="toolbar-group">
        <button
          type="button"
          className="btn"
          disabled={run.active || !run.runId || run.failed}
          onClick={() => c.workspace.open()}
          title="Rebalance colour against structure live and browse the test samples of the last run"
          data-testid="open-workspace"
        >
          ◧ Evaluate
        </button>
      </div>
      <div className="toolbar-group">
        {run.active ? (
          <button
            type="button"
            className="btn btn-danger"
            onClick={() => c.cancel()}
            data-testid="cancel"
          >
            ■ Cancel
          </button>
        ) : (
          <>
            <button
              type="button"
              className="btn"
              disabled={selectedNodes.length === 0}
              onClick={() => c.runGraph(selectedNodes)}
              title="Compute only what the selected nodes need"
              data-testid="run-selected"
            >
              ▶ Run selected
            </button>
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => c.runGraph()}
              data-testid="run"
            >
              ▶ Run
            </button>
          </>
        )}
      </div>
    </header>
  );
}
