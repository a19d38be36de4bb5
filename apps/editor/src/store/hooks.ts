/** React bindings for the framework-free stores. */
import { createContext, useContext, useSyncExternalStore } from "react";
import type { EditorController } from "../app/controller.ts";
import type { GraphState } from "./graphStore.ts";
import type { Observable } from "./observable.ts";
import type { RunState } from "./runStore.ts";

export const ControllerContext = createContext<EditorController | null>(null);

export function useController(): EditorController {
  const c = useContext(ControllerContext);
  if (!c) throw new Error("useController must be used inside <ControllerContext.Provider>");
  return c;
}

export function useGraphState(): GraphState {
  const c = useController();
  return useSyncExternalStore(c.graph.subscribe, c.graph.getState);
}

export function useRunState(): RunState {
  const c = useController();
  return useSyncExternalStore(c.run.subscribe, c.run.getState);
}

export function useObservable<T>(o: Observable<T>): T {
  return useSyncExternalStore(o.subscribe, o.get);
}
