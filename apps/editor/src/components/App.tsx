import { useReactFlow } from "@xyflow/react";
import { useCallback } from "react";
import { useShortcuts } from "../hooks/useShortcuts.ts";
import { useController, useObservable } from "../store/hooks.ts";
import { GraphCanvas } from "./GraphCanvas.tsx";
import { LibraryDialog } from "./LibraryDialog.tsx";
import { Notices } from "./Notices.tsx";
import { Palette } from "./Palette.tsx";
import { ParamPanel } from "./ParamPanel.tsx";
import { SaveDialog } from "./SaveDialog.tsx";
import { StatusBar } from "./StatusBar.tsx";
import { Toolbar } from "./Toolbar.tsx";
import { Workspace } from "./Workspace.tsx";

/** The editor window: toolbar, palette, canvas, parameter panel, status bar. */
export function App() {
  const c = useController();
  const { dialog } = useObservable(c.status);
  const flow = useReactFlow();
  const fitView = useCallback(() => flow.fitView({ padding: 0.15, duration: 200 }), [flow]);
  useShortcuts(c, fitView);

  // A palette click drops the node in the middle of the visible canvas.
  const addAtCentre = useCallback(
    (type: string) => {
      const el = document.querySelector(".canvas");
      const r = el?.getBoundingClientRect();
      const centre = r
        ? { x: r.left + r.width / 2 - 110, y: r.top + r.height / 2 - 60 }
        : { x: 300, y: 200 };
      c.addNode(type, flow.screenToFlowPosition(centre));
    },
    [c, flow],
  );

  return (
    <div className="app">
      <Toolbar />
      <div className="main">
        <Palette onAdd={addAtCentre} />
        <GraphCanvas />
        <ParamPanel />
      </div>
      <StatusBar />
      <Notices />
      {(dialog === "open" || dialog === "new") && <LibraryDialog mode={dialog} />}
      {dialog === "save" && <SaveDialog />}
      <Workspace />
    </div>
  );
}
