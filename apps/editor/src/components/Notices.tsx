import { useController, useObservable } from "../store/hooks.ts";

/** Transient messages (refused connections, saves, errors) in the lower right corner. */
export function Notices() {
  const c = useController();
  const { notices } = useObservable(c.status);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div
          key={n.id}
          className={`notice notice-${n.kind}`}
          role={n.kind === "error" ? "alert" : "status"}
          data-testid="notice"
        >
          <span>{n.text}</span>
          <button type="button" className="link" onClick={() => c.dismiss(n.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
