import { useController, useObservable } from "../store/hooks.ts";

/** Open a library graph (with recent ones first), or start a new one from a template. */
export function LibraryDialog({ mode }: { mode: "open" | "new" }) {
  const c = useController();
  const { library, recent } = useObservable(c.status);
  const names = new Set(library.map((g) => g.name));
  const recentHere = recent.filter((n) => names.has(n));
  const list = mode === "new" ? library.filter((g) => g.builtin) : library;
  const pick = (name: string) => (mode === "open" ? c.openLibrary(name) : c.newGraph(name));
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: backdrop click is a mouse shortcut; Escape and the buttons close it from the keyboard
    <div className="modal-back" role="presentation" onMouseDown={() => c.openDialog(null)}>
      <div
        className="modal"
        role="dialog"
        aria-label={mode === "open" ? "Open graph" : "New graph"}
        onMouseDown={(e) => e.stopPropagation()}
        data-testid={`dialog-${mode}`}
      >
        <div className="modal-title">{mode === "open" ? "Open a graph" : "New graph"}</div>
        {mode === "new" && (
          <button type="button" className="list-item" onClick={() => c.newGraph(null)}>
            <span>Empty graph</span>
            <span className="muted">start from nothing</span>
          </button>
        )}
        {mode === "open" && recentHere.length > 0 && (
          <>
            <div className="list-heading">Recent</div>
            {recentHere.map((n) => (
              <button type="button" key={`r-${n}`} className="list-item" onClick={() => pick(n)}>
                <span>{n}</span>
              </button>
            ))}
          </>
        )}
        <div className="list-heading">{mode === "open" ? "Library" : "Templates"}</div>
        {list.length === 0 && <div className="muted pad">Nothing here yet.</div>}
        {list.map((g) => (
          <button
            type="button"
            key={g.name}
            className="list-item"
            onClick={() => pick(g.name)}
            data-testid={`library-${g.name}`}
          >
            <span>{g.name}</span>
            <span className="muted">
              {g.builtin ? "built-in" : new Date(g.modified).toLocaleString()}
            </span>
          </button>
        ))}
        <div className="modal-actions">
          <button type="button" className="btn" onClick={() => c.openDialog(null)}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
