import { useEffect } from "react";
import type { EditorController } from "../app/controller.ts";

/** True when the key press belongs to a text field, not to the canvas. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

/**
 * Global shortcuts: Ctrl+Z undo, Ctrl+Shift+Z / Ctrl+Y redo, Ctrl+C/V copy/paste, Ctrl+A
 * select all, Delete/Backspace delete, F fit view, Escape closes a dialog. Cmd works in place of Ctrl on macOS.
 */
export function useShortcuts(c: EditorController, fitView: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && c.status.get().dialog) {
        c.openDialog(null);
        return;
      }
      if (typing(e.target) || c.status.get().dialog) return;
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === "z" && !e.shiftKey) c.undo();
      else if (mod && ((k === "z" && e.shiftKey) || k === "y")) c.redo();
      else if (mod && k === "c") c.copy();
      else if (mod && k === "v") c.paste();
      else if (mod && k === "a") c.selectAll();
      else if (!mod && (e.key === "Delete" || e.key === "Backspace")) c.deleteSelection();
      else if (!mod && !e.altKey && k === "f") fitView();
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [c, fitView]);
}
