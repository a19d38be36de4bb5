/** Loss curve as a small SVG polyline, scaled to the values' own range. */
export function Sparkline({
  values,
  width = 180,
  height = 36,
}: {
  values: number[];
  width?: number;
  height?: number;
}) {
  if (values.length < 2) return null;
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi - lo || 1;
  const pts = values
    .map((v, i) => {
      const x = (i / (values.length - 1)) * width;
      const y = height - 2 - ((Number.isFinite(v) ? v - lo : span) / span) * (height - 4);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
  const last = values[values.length - 1];
  return (
    <div className="sparkline" data-testid="loss-curve">
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img">
        <title>Training loss</title>
        <polyline points={pts} fill="none" stroke="currentColor" strokeWidth="1.5" />
      </svg>
      <span className="sparkline-label">loss {last.toPrecision(3)}</span>
    </div>
  );
}
