import { useState } from "react";
import { useController, useGraphState, useObservable } from "../store/hooks.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/;

/** Asks for the library name to save under; built-in graphs cannot be overwritten. */
export function SaveDialog() {
  const c = useController();
  const { graph, libraryName } = useGraphState();
  const { library } = useObservable(c.status);
  const builtin = new Set(library.filter((g) => g.builtin).map((g) => g.name));
  const initial = libraryName && !builtin.has(libraryName) ? libraryName : `${graph.name} copy`;
  const [name, setName] = useState(initial.replace(/[^A-Za-z0-9 _.-]/g, "_"));
  const problem = !NAME.test(name)
    ? "Use letters, digits, spaces, _ . or -, starting with a letter or digit"
    : builtin.has(name)
      ? `"${name}" is a built-in graph; pick another name`
      : null;
  const exists = library.some((g) => g.name === name && !g.builtin);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: backdrop click is a mouse shortcut; Escape and the buttons close it from the keyboard
    <div className="modal-back" role="presentation" onMouseDown={() => c.openDialog(null)}>
      <form
        className="modal"
        aria-label="Save graph"
        onMouseDown={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem) c.saveToLibrary(name);
        }}
        data-testid="dialog-save"
      >
        <div className="modal-title">Save to the library</div>
        <input
          className="text-input"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="Graph name"
          data-testid="save-name"
          // biome-ignore lint/a11y/noAutofocus: the dialog exists to type this name
          autoFocus
        />
        {problem && <div className="field-error">{problem}</div>}
        {!problem && exists && <div className="muted">Replaces the saved graph “{name}”.</div>}
        <div className="modal-actions">
          <button type="button" className="btn" onClick={() => c.openDialog(null)}>
            Cancel
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={Boolean(problem)}
            data-testid="save-confirm"
          >
            Save
          </button>
        </div>
      </form>
    </div>
  );
}
