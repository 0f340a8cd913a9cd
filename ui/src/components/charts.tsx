/** Plain SVG charts (no library): bars scaled to the largest value, labelled for screen readers. */
export interface BarDatum {
  readonly label: string;
  readonly value: number;
  /** Second stacked value drawn in the failure colour (e.g. failed runs). */
  readonly secondary?: number;
  readonly title?: string;
  /** Draw the whole bar in the failure colour (a failed run). */
  readonly failed?: boolean;
}

const WIDTH = 600;
const HEIGHT = 180;
/** A lone bar stays a bar, not a block. */
const MAX_BAR_WIDTH = 48;
const PADDING = { top: 10, right: 10, bottom: 28, left: 44 };

export function BarChart(props: {
  title: string;
  data: readonly BarDatum[];
  unit: string;
  max?: number;
  testId?: string;
}) {
  const { data, unit } = props;
  const max =
    props.max ?? data.reduce((most, datum) => Math.max(most, datum.value + (datum.secondary ?? 0)), 1);
  const plotWidth = WIDTH - PADDING.left - PADDING.right;
  const plotHeight = HEIGHT - PADDING.top - PADDING.bottom;
  const step = data.length > 0 ? plotWidth / data.length : plotWidth;
  const barWidth = Math.min(MAX_BAR_WIDTH, Math.max(2, step * 0.7));
  const y = (value: number) => PADDING.top + plotHeight - (value / max) * plotHeight;
  const labelEvery = Math.max(1, Math.ceil(data.length / 8));
  return (
    <figure className="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      {data.length === 0 ? (
        <p className="muted">No data yet.</p>
      ) : (
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          role="img"
          aria-label={props.title}
          preserveAspectRatio="none"
        >
          {[0, 0.5, 1].map((fraction) => (
            <g key={fraction}>
              <line
                x1={PADDING.left}
                x2={WIDTH - PADDING.right}
                y1={y(max * fraction)}
                y2={y(max * fraction)}
                className="grid"
              />
              <text x={PADDING.left - 4} y={y(max * fraction) + 4} textAnchor="end" className="axis">
                {formatValue(max * fraction)}
                {unit}
              </text>
            </g>
          ))}
          {data.map((datum, index) => {
            const x = PADDING.left + index * step + (step - barWidth) / 2;
            const secondary = datum.secondary ?? 0;
            return (
              <g key={`${datum.label}-${index}`}>
                <title>{datum.title ?? `${datum.label}: ${formatValue(datum.value)}${unit}`}</title>
                <rect
                  x={x}
                  width={barWidth}
                  y={y(datum.value)}
                  height={y(0) - y(datum.value)}
                  className={datum.failed ? 'bar secondary' : 'bar'}
                />
                {secondary > 0 && (
                  <rect
                    x={x}
                    width={barWidth}
                    y={y(datum.value + secondary)}
                    height={y(datum.value) - y(datum.value + secondary)}
                    className="bar secondary"
                  />
                )}
                {index % labelEvery === 0 && (
                  <text x={x + barWidth / 2} y={HEIGHT - 8} textAnchor="middle" className="axis">
                    {datum.label}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      )}
    </figure>
  );
}

function formatValue(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1).replace(/\.0$/, '');
  return value.toFixed(2).replace(/\.?0+$/, '') || '0';
}
