import { type DragEvent, useMemo, useState } from "react";
import { PORT_TYPES } from "../../../../nodes/sdk/ports.ts";
import { type CatalogueEntry, paletteGroups } from "../logic/catalogue.ts";
import { useController, useObservable } from "../store/hooks.ts";
import { PALETTE_MIME } from "./GraphCanvas.tsx";

/** Searchable list of every node type, grouped by category; click or drag to add. */
export function Palette({ onAdd }: { onAdd: (type: string) => void }) {
  const c = useController();
  const { catalogue } = useObservable(c.status);
  const [query, setQuery] = useState("");
  const groups = useMemo(() => paletteGroups(catalogue.entries, query), [catalogue, query]);

  const dragStart = (e: DragEvent, entry: CatalogueEntry) => {
    e.dataTransfer.setData(PALETTE_MIME, entry.type);
    e.dataTransfer.effectAllowed = "copy";
  };

  return (
    <aside className="palette" data-testid="palette">
      <div className="panel-title">Nodes</div>
      <input
        className="search"
        type="search"
        placeholder="Search nodes…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="palette-search"
      />
      <div className="palette-list">
        {groups.length === 0 && <div className="muted pad">No node matches “{query}”.</div>}
        {groups.map((g) => (
          <section key={g.category}>
            <div className="palette-category">{g.category}</div>
            {g.entries.map((e) => (
              <button
                type="button"
                key={e.type}
                className="palette-item"
                draggable
                onDragStart={(ev) => dragStart(ev, e)}
                onClick={() => onAdd(e.type)}
                title={`${e.description}\n${e.type}${e.source === "plugin" ? " (plugin)" : ""}`}
                data-testid={`palette-${e.type}`}
              >
                <span className="palette-item-title">
                  {e.title}
                  {e.source === "plugin" && <span className="tag">plugin</span>}
                </span>
                <span className="palette-item-ports">
                  {Object.values(e.inputs).map((p, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: ports are a fixed list
                    <i key={`i${i}`} style={{ background: PORT_TYPES[p.type].color }} />
                  ))}
                  <b>→</b>
                  {Object.values(e.outputs).map((p, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: ports are a fixed list
                    <i key={`o${i}`} style={{ background: PORT_TYPES[p.type].color }} />
                  ))}
                </span>
              </button>
            ))}
          </section>
        ))}
      </div>
    </aside>
  );
}
