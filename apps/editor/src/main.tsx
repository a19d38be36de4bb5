/** Browser entry: connects to the runner that served this page and mounts the editor. */
import "@xyflow/react/dist/style.css";
import "./styles.css";
import "./workspace.css";
import { ReactFlowProvider } from "@xyflow/react";
import { createRoot } from "react-dom/client";
import { EditorController } from "./app/controller.ts";
import { App } from "./components/App.tsx";
import { ControllerContext } from "./store/hooks.ts";

const controller = new EditorController();
// Exposed for debugging and end-to-end tests (read-only use).
(window as unknown as { edgrec: EditorController }).edgrec = controller;

const root = document.getElementById("root");
if (!root) throw new Error('index.html must contain <div id="root">');
createRoot(root).render(
  <ControllerContext.Provider value={controller}>
    <ReactFlowProvider>
      <App />
    </ReactFlowProvider>
  </ControllerContext.Provider>,
);

const wsUrl = new URL("ws", window.location.href);
wsUrl.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
const token = new URLSearchParams(window.location.search).get("token");
if (token) wsUrl.searchParams.set("token", token);
controller.start(wsUrl.href);
