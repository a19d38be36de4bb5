import { formatMs, type NodeRunState } from "../store/runStore.ts";

/** Small coloured pill with the node's run state ("done 1.2 s", "cached", "failed"...). */
export function StateBadge({ state }: { state?: NodeRunState }) {
  const status = state?.status ?? "idle";
  let text: string = status;
  if (status === "done" && state?.ms !== undefined) text = `done ${formatMs(state.ms)}`;
  if (status === "running" && state?.total) {
    text = `${Math.floor((100 * (state.step ?? 0)) / state.total)}%`;
  }
  return (
    <span className={`badge badge-${status}`} data-testid="state-badge" data-status={status}>
      {text}
    </span>
  );
}
