import { useController, useGraphState, useObservable, useRunState } from "../store/hooks.ts";

/** Bottom line: connection, graph size, validation summary, history depth. */
export function StatusBar() {
  const c = useController();
  const { connection, server } = useObservable(c.status);
  const { graph } = useGraphState();
  const { issues } = useRunState();
  return (
    <footer className="statusbar">
      <span className={`dot dot-${connection}`} />
      <span>{connection === "open" ? `Connected · ${server}` : connection}</span>
      <span className="sep">|</span>
      <span>
        {graph.nodes.length} nodes · {graph.edges.length} edges
      </span>
      <span className="sep">|</span>
      <span
        className={issues.length ? "status-bad" : "status-good"}
        data-testid="validation-summary"
      >
        {issues.length === 0
          ? "Graph is valid"
          : `${issues.length} problem${issues.length > 1 ? "s" : ""}: ${issues[0].message}`}
      </span>
    </footer>
  );
}
