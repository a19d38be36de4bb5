import { useEffect, useMemo, useRef } from "react";
import type { EvalCurves, EvalMetrics } from "../../../runner/src/protocol/eval-messages.ts";
import { fmtW, outcome, sortSamples, type WorkspaceState } from "../app/workspace.ts";
import { combinedRange, paintHeatmap, paintMasks } from "../logic/heatmap.ts";
import { useController, useObservable } from "../store/hooks.ts";

const METRICS: [keyof EvalMetrics, string][] = [
  ["imageAuroc", "Image AUROC"],
  ["imageAp", "Image AP"],
  ["imageF1Max", "Image F1-max"],
  ["pixelAuroc", "Pixel AUROC"],
  ["pixelAp", "Pixel AP"],
  ["pixelF1Max", "Pixel F1-max"],
  ["auPro", "AU-PRO (FPR ≤ 0.3)"],
];

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toFixed(4));
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Paints w_c·colour + w_s·structure (optionally blended over RGB) into a canvas. */
function HeatCanvas(props: {
  color: Float32Array;
  structure: Float32Array;
  width: number;
  height: number;
  wColor: number;
  wStructure: number;
  range: { min: number; max: number } | null;
  base?: Uint8Array;
  alpha?: number;
  testId?: string;
  className?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { color, structure, width, height, wColor, wStructure, range, base, alpha } = props;
  useEffect(() => {
    const ctx = ref.current?.getContext("2d");
    if (!ctx) return;
    const img = ctx.createImageData(width, height);
    const r = range ?? combinedRange(color, structure, wColor, wStructure);
    const t0 = performance.now();
    paintHeatmap(img.data, color, structure, { wColor, wStructure, ...r, alpha: alpha ?? 255 });
    if (base) {
      const d = img.data;
      for (let i = 0, j = 0; i < d.length; i += 4, j += 3) {
        d[i] = (d[i] + base[j]) >> 1;
        d[i + 1] = (d[i + 1] + base[j + 1]) >> 1;
        d[i + 2] = (d[i + 2] + base[j + 2]) >> 1;
      }
    }
    ctx.putImageData(img, 0, 0);
    if (ref.current) ref.current.dataset.paintMs = (performance.now() - t0).toFixed(2);
  }, [color, structure, width, height, wColor, wStructure, range, base, alpha]);
  return (
    <canvas
      ref={ref}
      width={width}
      height={height}
      className={props.className}
      data-testid={props.testId}
      data-weights={`${wColor}/${wStructure}`}
    />
  );
}

function MaskCanvas(props: {
  maps: NonNullable<WorkspaceState["maps"]>;
  wColor: number;
  wStructure: number;
  threshold: number | null;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { maps, wColor, wStructure, threshold } = props;
  useEffect(() => {
    const ctx = ref.current?.getContext("2d");
    if (!ctx) return;
    const img = ctx.createImageData(maps.width, maps.height);
    const r = paintMasks(img.data, maps.color, maps.structure, maps.mask, maps.width, maps.height, {
      wColor,
      wStructure,
      threshold: threshold ?? undefined,
    });
    ctx.putImageData(img, 0, 0);
    if (ref.current) ref.current.dataset.predicted = String(r.predicted);
  }, [maps, wColor, wStructure, threshold]);
  return (
    <canvas
      ref={ref}
      width={maps.width}
      height={maps.height}
      className="ws-layer"
      data-testid="ws-mask-layer"
    />
  );
}

/** A small SVG line chart of one curve, with the pinned curve dashed behind it. */
function CurvePlot(props: {
  title: string;
  curve: { x: number[]; y: number[] };
  pinned?: { x: number[]; y: number[] };
  xLabel: string;
  yLabel: string;
  xMax?: number;
  testId: string;
}) {
  const W = 200;
  const H = 150;
  const xMax = props.xMax ?? 1;
  const path = (c: { x: number[]; y: number[] }) =>
    c.x
      .map((x, i) => {
        const px = (Math.min(x, xMax) / xMax) * W;
        const py = H - c.y[i] * H;
        return `${i === 0 ? "M" : "L"}${px.toFixed(1)},${py.toFixed(1)}`;
      })
      .join("");
  return (
    <figure className="ws-plot" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`-28 -6 ${W + 36} ${H + 30}`} role="img" aria-label={props.title}>
        <rect x={0} y={0} width={W} height={H} className="ws-plot-frame" />
        {[0.25, 0.5, 0.75].map((g) => (
          <line key={g} x1={0} x2={W} y1={H - g * H} y2={H - g * H} className="ws-plot-grid" />
        ))}
        {props.pinned && props.pinned.x.length > 0 && (
          <path d={path(props.pinned)} className="ws-plot-pinned" />
        )}
        {props.curve.x.length > 0 ? (
          <path d={path(props.curve)} className="ws-plot-line" data-points={props.curve.x.length} />
        ) : (
          <text x={W / 2} y={H / 2} textAnchor="middle" className="ws-plot-empty">
            undefined
          </text>
        )}
        <text x={W / 2} y={H + 22} textAnchor="middle" className="ws-plot-label">
          {props.xLabel}
          {xMax < 1 ? ` (0…${xMax})` : ""}
        </text>
        <text
          x={-18}
          y={H / 2}
          textAnchor="middle"
          className="ws-plot-label"
          transform={`rotate(-90 -18 ${H / 2})`}
        >
          {props.yLabel}
        </text>
      </svg>
    </figure>
  );
}

function Slider(props: {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (v: number) => void;
  testId: string;
}) {
  return (
    <label className="ws-slider">
      <span>{props.label}</span>
      <input
        type="range"
        min={props.min}
        max={props.max}
        step={props.step}
        value={props.value}
        onChange={(e) => props.onChange(Number(e.target.value))}
        data-testid={props.testId}
      />
      <input
        type="number"
        className="ws-num mono"
        min={props.min}
        step={props.step}
        value={Number(props.value.toPrecision(4))}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (Number.isFinite(v) && v >= props.min) props.onChange(v);
        }}
        data-testid={`${props.testId}-value`}
      />
    </label>
  );
}

function MetricsTable({ s }: { s: WorkspaceState }) {
  const m = s.scores?.metrics;
  const p = s.pinned?.metrics;
  return (
    <table className="ws-metrics" data-testid="ws-metrics">
      <thead>
        <tr>
          <th>Metric</th>
          <th>Current</th>
          {p && <th title={s.pinned?.label}>Pinned</th>}
          {p && <th>Δ</th>}
        </tr>
      </thead>
      <tbody>
        {METRICS.map(([k, label]) => {
          const cur = m?.[k].value ?? null;
          const pin = p?.[k].value ?? null;
          const d = cur !== null && pin !== null ? cur - pin : null;
          return (
            <tr key={k}>
              <td>{label}</td>
              <td className="mono" data-testid={`ws-metric-${k}`} title={m?.[k].reason}>
                {fmt(cur)}
              </td>
              {p && <td className="mono">{fmt(pin)}</td>}
              {p && (
                <td
                  className={`mono ${d === null ? "" : d > 0 ? "ws-up" : d < 0 ? "ws-down" : ""}`}
                >
                  {d === null ? "—" : `${d >= 0 ? "+" : ""}${d.toFixed(4)}`}
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Confusion({ s }: { s: WorkspaceState }) {
  const c = s.scores?.confusion;
  if (!c) return <p className="ws-note">Set a threshold to see confusion counts.</p>;
  const cell = (label: string, v: number, cls: string) => (
    <div className={`ws-cm ${cls}`}>
      <span>{label}</span>
      <b className="mono">{v.toLocaleString()}</b>
    </div>
  );
  return (
    <div className="ws-confusion" data-testid="ws-confusion">
      <div>
        <h4>Images at t = {c.threshold.toPrecision(4)}</h4>
        <div className="ws-cm-grid" data-testid="ws-confusion-image">
          {cell("TP", c.image.tp, "good")}
          {cell("FP", c.image.fp, "bad")}
          {cell("FN", c.image.fn, "bad")}
          {cell("TN", c.image.tn, "good")}
        </div>
      </div>
      <div>
        <h4>Pixels</h4>
        <div className="ws-cm-grid">
          {cell("TP", c.pixel.tp, "good")}
          {cell("FP", c.pixel.fp, "bad")}
          {cell("FN", c.pixel.fn, "bad")}
          {cell("TN", c.pixel.tn, "good")}
        </div>
      </div>
    </div>
  );
}

function Curves({ curves, pinned }: { curves: EvalCurves; pinned?: EvalCurves }) {
  return (
    <div className="ws-curves">
      <CurvePlot
        title="Image ROC"
        curve={curves.imageRoc}
        pinned={pinned?.imageRoc}
        xLabel="FPR"
        yLabel="TPR"
        testId="ws-curve-image-roc"
      />
      <CurvePlot
        title="Pixel ROC"
        curve={curves.pixelRoc}
        pinned={pinned?.pixelRoc}
        xLabel="FPR"
        yLabel="TPR"
        testId="ws-curve-pixel-roc"
      />
      <CurvePlot
        title="Pixel PR"
        curve={curves.pixelPr}
        pinned={pinned?.pixelPr}
        xLabel="recall"
        yLabel="precision"
        testId="ws-curve-pixel-pr"
      />
      <CurvePlot
        title="PRO"
        curve={curves.pro}
        pinned={pinned?.pro}
        xLabel="FPR"
        yLabel="PRO"
        xMax={0.3}
        testId="ws-curve-pro"
      />
    </div>
  );
}

function SampleGrid({ s }: { s: WorkspaceState }) {
  const c = useController();
  const session = s.session;
  const thumbs = s.thumbs;
  const order = useMemo(
    () => (session ? sortSamples(session.samples, s.scores?.scores, s.sort, s.threshold) : []),
    [session, s.scores, s.sort, s.threshold],
  );
  if (!session || !thumbs) return null;
  const side = thumbs.side;
  const px = side * side;
  const range = s.scale === "shared" ? (s.scores?.range ?? null) : null;
  return (
    <div className="ws-grid" data-testid="ws-grid">
      {order.map((i) => {
        const smp = session.samples[i];
        const score = s.scores?.scores[i];
        const out = score === undefined ? null : outcome(smp.label, score, s.threshold);
        return (
          <button
            type="button"
            key={smp.id}
            className={`ws-tile${s.selected === i ? " selected" : ""}${out ? ` ws-${out}` : ""}`}
            onClick={() => c.workspace.select(i)}
            data-testid={`ws-tile-${i}`}
            data-outcome={out ?? ""}
            title={smp.id}
          >
            <HeatCanvas
              color={thumbs.color.subarray(i * px, (i + 1) * px)}
              structure={thumbs.structure.subarray(i * px, (i + 1) * px)}
              width={side}
              height={side}
              wColor={s.wColor}
              wStructure={s.wStructure}
              range={range}
              base={thumbs.rgb.subarray(i * px * 3, (i + 1) * px * 3)}
            />
            <span className="ws-tile-meta">
              <span className="ws-defect">{smp.defect}</span>
              <span className="mono">{score === undefined ? "" : score.toPrecision(3)}</span>
            </span>
            {out && <span className={`ws-badge ws-badge-${out}`}>{out}</span>}
          </button>
        );
      })}
    </div>
  );
}

function SampleDetail({ s }: { s: WorkspaceState }) {
  const session = s.session;
  const maps = s.maps;
  if (!session || s.selected === null) {
    return <p className="ws-note">Click a sample to see every intermediate result side by side.</p>;
  }
  const smp = session.samples[s.selected];
  const ready = maps && maps.sample === s.selected;
  const shared = s.scale === "shared";
  const img = (key: string, label: string) => (
    <figure className="ws-stage" key={key} data-testid={`ws-stage-${key}`}>
      {s.stageUrls[key] ? (
        <img src={s.stageUrls[key]} alt={label} />
      ) : (
        <div className="ws-stage-wait" />
      )}
      <figcaption>{label}</figcaption>
    </figure>
  );
  const keys = new Set(session.stages.map((x) => x.key));
  return (
    <div className="ws-detail" data-testid="ws-detail">
      <h3>
        {smp.id} <span className="ws-muted">· {smp.defect}</span>
        {s.scores && (
          <span className="mono ws-muted">
            {" "}
            · score {s.scores.scores[s.selected].toPrecision(4)}
          </span>
        )}
      </h3>
      <div className="ws-stages">
        {keys.has("input") && img("input", "Input")}
        {keys.has("edge") && img("edge", "Edge")}
        {keys.has("reconstruction") && img("reconstruction", "Reconstruction")}
        {ready && (
          <>
            <figure className="ws-stage" data-testid="ws-stage-color">
              <HeatCanvas
                color={maps.color}
                structure={maps.color}
                width={maps.width}
                height={maps.height}
                wColor={1}
                wStructure={0}
                range={shared ? session.ranges.color : null}
              />
              <figcaption>Colour map</figcaption>
            </figure>
            <figure className="ws-stage" data-testid="ws-stage-structure">
              <HeatCanvas
                color={maps.structure}
                structure={maps.structure}
                width={maps.width}
                height={maps.height}
                wColor={1}
                wStructure={0}
                range={shared ? session.ranges.structure : null}
              />
              <figcaption>Structure map</figcaption>
            </figure>
            <figure className="ws-stage ws-stack" data-testid="ws-stage-combined">
              {s.stageUrls.input && <img src={s.stageUrls.input} alt="" />}
              <HeatCanvas
                className="ws-layer"
                testId="ws-heat"
                color={maps.color}
                structure={maps.structure}
                width={maps.width}
                height={maps.height}
                wColor={s.wColor}
                wStructure={s.wStructure}
                range={shared ? (s.scores?.range ?? null) : null}
                alpha={150}
              />
              <figcaption>
                Combined {fmtW(s.wColor)}·colour + {fmtW(s.wStructure)}·structure
              </figcaption>
            </figure>
            <figure className="ws-stage ws-stack" data-testid="ws-stage-masks">
              {s.stageUrls.input && <img src={s.stageUrls.input} alt="" />}
              <MaskCanvas
                maps={maps}
                wColor={s.wColor}
                wStructure={s.wStructure}
                threshold={s.threshold}
              />
              <figcaption>
                <span className="ws-key-gt">■</span> ground truth{" "}
                <span className="ws-key-pred">■</span> predicted (&gt; t)
              </figcaption>
            </figure>
          </>
        )}
      </div>
    </div>
  );
}

/** The evaluation workspace: live reweighting, metrics and curves, sample browser, compare. */
export function Workspace() {
  const c = useController();
  const s = useObservable(c.workspace.state);
  if (!s.open) return null;
  const session = s.session;
  const ws = c.workspace;
  const filtersChanged =
    session !== null &&
    (s.filterColor !== (session.filterSizes.color ?? null) ||
      s.filterStructure !== (session.filterSizes.structure ?? null));
  const tMax = s.scores ? Math.max(s.scores.range.max, 1e-6) : 1;
  return (
    <div className="workspace" data-testid="workspace">
      <header className="ws-header">
        <h2>Evaluation workspace</h2>
        <select
          className="ws-select"
          value={session?.runId ?? ""}
          onChange={(e) => ws.open(e.target.value)}
          data-testid="ws-run"
          title="Run to evaluate"
        >
          {s.runs.map((r) => (
            <option key={r.runId} value={r.runId}>
              {r.label}
            </option>
          ))}
        </select>
        {session && (
          <span className="ws-muted" data-testid="ws-session-info">
            {session.samples.length} test images · {session.width}×{session.height} · maps cached{" "}
            {mib(session.memory.mapsBytes)} · opened in {Math.round(session.openMs)} ms
          </span>
        )}
        <div className="toolbar-spacer" />
        <button type="button" className="btn" onClick={() => ws.close()} data-testid="ws-close">
          Back to graph
        </button>
      </header>
      {s.error && <div className="ws-error">{s.error}</div>}
      {s.loading && <div className="ws-loading">{s.loading}</div>}
      {session && (
        <div className="ws-body">
          <aside className="ws-controls">
            <h3>Weighting</h3>
            <Slider
              label="Colour weight"
              value={s.wColor}
              min={0}
              max={10}
              step={0.05}
              onChange={(v) => ws.setWeights({ wColor: v })}
              testId="ws-wcolor"
            />
            <Slider
              label="Structure weight"
              value={s.wStructure}
              min={0}
              max={10}
              step={0.05}
              onChange={(v) => ws.setWeights({ wStructure: v })}
              testId="ws-wstructure"
            />
            <Slider
              label="Threshold"
              value={s.threshold ?? 0}
              min={0}
              max={Number(tMax.toPrecision(3))}
              step={tMax / 200}
              onChange={(v) => ws.setWeights({ threshold: v })}
              testId="ws-threshold"
            />
            <p className="ws-note ws-cached" data-testid="ws-cached-note">
              Weights and threshold only recombine the cached colour and structure maps: the U-Net
              is not re-run.
              {s.scores && (
                <>
                  {" "}
                  Last update {Math.round(s.rescoreMs ?? 0)} ms (server{" "}
                  {Math.round(s.scores.timings.totalMs ?? 0)} ms).
                </>
              )}
            </p>
            {session.threshold && (
              <p className="ws-note">
                Graph threshold {session.threshold.value.toPrecision(4)} ({session.threshold.source}
                )
              </p>
            )}
            <h3>Filter sizes</h3>
            <label className="ws-field">
              <span>Colour filter</span>
              <input
                type="number"
                min={1}
                step={2}
                value={s.filterColor ?? ""}
                onChange={(e) => ws.setFilters({ filterColor: Number(e.target.value) })}
                data-testid="ws-filter-color"
              />
            </label>
            <label className="ws-field">
              <span>Structure filter</span>
              <input
                type="number"
                min={1}
                step={2}
                value={s.filterStructure ?? ""}
                onChange={(e) => ws.setFilters({ filterStructure: Number(e.target.value) })}
                data-testid="ws-filter-structure"
              />
            </label>
            <button
              type="button"
              className="btn"
              disabled={!filtersChanged || s.rerunning}
              onClick={() => ws.recomputeMaps()}
              data-testid="ws-recompute"
            >
              {s.rerunning ? "Re-running maps…" : "Recompute maps"}
            </button>
            <p className="ws-note">
              New filter sizes re-run only the colour and MSGMS nodes from the cached
              reconstructions.
            </p>
            <h3>View</h3>
            <div className="ws-seg">
              <button
                type="button"
                className={`btn${s.scale === "shared" ? " on" : ""}`}
                onClick={() => ws.setView({ scale: "shared" })}
                data-testid="ws-scale-shared"
              >
                One scale for the split
              </button>
              <button
                type="button"
                className={`btn${s.scale === "per-image" ? " on" : ""}`}
                onClick={() => ws.setView({ scale: "per-image" })}
                data-testid="ws-scale-per-image"
              >
                Per image
              </button>
            </div>
            {s.scale === "per-image" && (
              <p className="ws-note ws-warn">
                Per-image scaling: colours are not comparable across images.
              </p>
            )}
            <h3>Compare</h3>
            <div className="ws-seg">
              <button
                type="button"
                className="btn"
                onClick={() => ws.pin()}
                disabled={!s.scores}
                data-testid="ws-pin"
              >
                Pin current
              </button>
              {s.pinned && (
                <button type="button" className="btn" onClick={() => ws.unpin()}>
                  Unpin
                </button>
              )}
            </div>
            {s.pinned && (
              <p className="ws-note" data-testid="ws-pinned-label">
                Pinned: {s.pinned.label}
              </p>
            )}
            <button
              type="button"
              className="btn btn-primary ws-apply"
              onClick={() => ws.applyToGraph()}
              data-testid="ws-apply"
            >
              Apply weighting to graph
            </button>
            <p className="ws-note">
              Sets every weighted-sum node ({session.sumNodes.join(", ")}); undo with Ctrl+Z, save
              as usual.
            </p>
          </aside>
          <section className="ws-centre">
            <div className="ws-results">
              <MetricsTable s={s} />
              <Confusion s={s} />
            </div>
            {s.scores && <Curves curves={s.scores.curves} pinned={s.pinned?.curves} />}
            <SampleDetail s={s} />
          </section>
          <section className="ws-browser">
            <div className="ws-browser-head">
              <h3>Samples</h3>
              <select
                className="ws-select"
                value={s.sort}
                onChange={(e) => ws.setView({ sort: e.target.value as WorkspaceState["sort"] })}
                data-testid="ws-sort"
              >
                <option value="score">by score</option>
                <option value="defect">by defect type</option>
                <option value="errors">false positives / negatives first</option>
              </select>
            </div>
            <SampleGrid s={s} />
          </section>
        </div>
      )}
    </div>
  );
}
