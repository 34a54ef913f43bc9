/**
 * Line charts for BENCHMARKS.md as standalone SVG documents, with no library. The output is a
 * pure function of the spec (fixed layout, palette, rounding and number formatting), so
 * re-running a benchmark changes a committed chart only when one of its figures changes.
 */
import { writeFile } from 'node:fs/promises';
import { formatNumber } from './common.js';

export interface ChartSeries {
  name: string;
  points: [number, number][];
}

export interface ChartTarget {
  y: number;
  label: string;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  series: ChartSeries[];
  targets?: ChartTarget[];
}

const WIDTH = 720;
const HEIGHT = 420;
const RIGHT = 696;
const BOTTOM = 350;
const FONT_SIZE = 12;
const LEGEND_TOP = 54;
const LEGEND_ROW = 18;
// Okabe-Ito: told apart with the common colour-vision deficiencies, and dark enough on white.
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];
const MARKERS = ['circle', 'square', 'diamond', 'triangle'] as const;
const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#d1d9e0';
const TARGET = '#cf222e';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/** Control characters other than tab, newline and return, and U+FFFE/U+FFFF: not allowed in XML 1.0. */
const forbiddenInXml = (code: number) =>
  (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffe || code === 0xffff;

/** Text for SVG markup: the five XML specials escaped, characters XML forbids dropped. */
export function escapeXml(text: string): string {
  return [...text]
    .filter((c) => !forbiddenInXml(c.codePointAt(0)!))
    .join('')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Decimal digits that show a multiple of `step` exactly (0.05 → 2, 500 → 0). */
function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** The smallest 1, 2 or 5 × 10^k at least `raw`. */
function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const multiple = [1, 2, 5, 10].find((m) => m * magnitude >= raw * (1 - 1e-9))!;
  return Number((multiple * magnitude).toPrecision(12));
}

/** Ticks at multiples of a 1-2-5 step, about five intervals, first ≤ min and last ≥ max. */
export function linearTicks(min: number, max: number): number[] {
  const top = max > min ? max : min + 1;
  const step = niceStep((top - min) / 5);
  const digits = decimalsOf(step);
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(top / step - 1e-9);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(digits)));
}

/**
 * Ticks at 1, 2 and 5 × 10^k over up to two decades, at powers of ten beyond (every other
 * power, or sparser, past eight decades), trimmed to the nearest ones around [min, max].
 * Both bounds must be positive.
 */
export function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min) + 1e-9);
  const high = Math.max(low + 1, Math.ceil(Math.log10(max) - 1e-9));
  const decades = high - low;
  const mantissas = decades <= 2 ? [1, 2, 5] : [1];
  const stride = Math.ceil(decades / 8);
  const candidates: number[] = [];
  for (let power = low; power < high + stride; power += stride)
    for (const m of mantissas) candidates.push(Number((m * 10 ** power).toPrecision(12)));
  const from = candidates.findLastIndex((c) => c <= min * (1 + 1e-9));
  const to = Math.max(
    from + 1,
    candidates.findIndex((c) => c >= max * (1 - 1e-9)),
  );
  return candidates.slice(from, to + 1);
}

/**
 * Labels for one linear axis in one unit (k from 10,000, M from 1,000,000), with as many
 * decimals as the step needs, so that neighbouring labels line up: 0, 5k, 10k, 15k.
 */
export function linearLabels(ticks: readonly number[]): string[] {
  const largest = Math.max(...ticks.map(Math.abs));
  const [unit, suffix] = largest >= 1e6 ? [1e6, 'M'] : largest >= 1e4 ? [1e3, 'k'] : [1, ''];
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  const digits = decimalsOf(step / unit);
  return ticks.map((t) => (t === 0 ? '0' : `${formatNumber(t / unit, digits)}${suffix}`));
}

/** One label for a value on a log axis: 0.05, 200, 5k, 20k, 1M (ticks there are mostly one digit). */
export function compactNumber(value: number): string {
  const magnitude = Math.abs(value);
  const [unit, suffix] = magnitude >= 1e6 ? [1e6, 'M'] : magnitude >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${formatNumber(Number((value / unit).toPrecision(3)))}${suffix}`;
}

interface Axis {
  ticks: number[];
  labels: string[];
  /** A value's position between the first tick (0) and the last (1). */
  position(value: number): number;
}

/** Linear axes start at zero, so that the heights of lines can be compared honestly. */
function axisOver(values: readonly number[], log: boolean): Axis {
  if (log) {
    const ticks = values.length ? logTicks(Math.min(...values), Math.max(...values)) : [1, 10];
    const [low, high] = [Math.log10(ticks[0]!), Math.log10(ticks.at(-1)!)];
    return {
      ticks,
      labels: ticks.map(compactNumber),
      position: (v) => (Math.log10(v) - low) / (high - low),
    };
  }
  const ticks = linearTicks(Math.min(0, ...values), Math.max(0, ...values));
  const [low, high] = [ticks[0]!, ticks.at(-1)!];
  return { ticks, labels: linearLabels(ticks), position: (v) => (v - low) / (high - low) };
}

/** Coordinates to one decimal: enough for a 720-pixel chart, and stable across runs. */
const px = (n: number) => String(Math.round(n * 10) / 10);
/** Rough width of a label in the chart's font: there is no text measurement in a plain script. */
const textWidth = (text: string, size = FONT_SIZE) => text.length * size * 0.56;

function marker(shape: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  const r = 3.5;
  switch (shape) {
    case 'circle':
      return `<circle cx="${px(x)}" cy="${px(y)}" r="${r}" fill="${colour}"/>`;
    case 'square':
      return `<rect x="${px(x - r)}" y="${px(y - r)}" width="${2 * r}" height="${2 * r}" fill="${colour}"/>`;
    case 'diamond':
      return `<path d="M${px(x)} ${px(y - r - 1)}L${px(x + r + 1)} ${px(y)}L${px(x)} ${px(y + r + 1)}L${px(x - r - 1)} ${px(y)}Z" fill="${colour}"/>`;
    case 'triangle':
      return `<path d="M${px(x)} ${px(y - r - 1)}L${px(x + r + 1)} ${px(y + r)}L${px(x - r - 1)} ${px(y + r)}Z" fill="${colour}"/>`;
  }
}

const styleOf = (i: number) => ({
  colour: PALETTE[i % PALETTE.length]!,
  shape: MARKERS[i % MARKERS.length]!,
});

/** Legend entries left to right, wrapping under the title; returns the markup and its rows. */
function legend(series: readonly ChartSeries[], left: number): { markup: string[]; rows: number } {
  const markup: string[] = [];
  let [x, row] = [left, 0];
  series.forEach(({ name }, i) => {
    const width = 34 + textWidth(name) + 18;
    if (x > left && x + width > RIGHT) [x, row] = [left, row + 1];
    const y = LEGEND_TOP + row * LEGEND_ROW;
    const { colour, shape } = styleOf(i);
    markup.push(
      `<line x1="${px(x)}" y1="${y}" x2="${px(x + 24)}" y2="${y}" stroke="${colour}" stroke-width="2"/>`,
      marker(shape, x + 12, y, colour),
      `<text x="${px(x + 30)}" y="${y}" dy="0.32em">${escapeXml(name)}</text>`,
    );
    x += width;
  });
  return { markup, rows: series.length ? row + 1 : 0 };
}

/** A line chart: one line with point markers per series, dashed target lines, 720x420. */
export function lineChart(spec: LineChartSpec): string {
  const usable = ([x, y]: [number, number]) =>
    Number.isFinite(x) && Number.isFinite(y) && (!spec.xLog || x > 0) && (!spec.yLog || y > 0);
  const series = spec.series.map((s) => ({
    ...s,
    points: s.points.filter(usable).sort((a, b) => a[0] - b[0]),
  }));
  const targets = (spec.targets ?? []).filter((t) => Number.isFinite(t.y) && (!spec.yLog || t.y > 0));
  const xAxis = axisOver(
    series.flatMap((s) => s.points.map((p) => p[0])),
    spec.xLog ?? false,
  );
  const yAxis = axisOver(
    [...series.flatMap((s) => s.points.map((p) => p[1])), ...targets.map((t) => t.y)],
    spec.yLog ?? false,
  );

  const left = Math.round(36 + Math.max(...yAxis.labels.map((l) => textWidth(l))));
  const key = legend(series, left);
  const top = LEGEND_TOP + key.rows * LEGEND_ROW + 12;
  const xAt = (v: number) => left + xAxis.position(v) * (RIGHT - left);
  const yAt = (v: number) => BOTTOM - yAxis.position(v) * (BOTTOM - top);

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img">`,
    `<title>${escapeXml(spec.title)}</title>`,
    // Explicit white: GitHub's dark theme would otherwise show dark text on its dark page.
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<g font-family="-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}" fill="${INK}">`,
    `<text x="${left}" y="30" font-size="16" font-weight="600">${escapeXml(spec.title)}</text>`,
    ...key.markup,
  ];
  yAxis.ticks.forEach((tick, i) => {
    const y = px(yAt(tick));
    out.push(
      `<line x1="${left}" y1="${y}" x2="${RIGHT}" y2="${y}" stroke="${GRID}"/>`,
      `<text x="${left - 8}" y="${y}" dy="0.32em" text-anchor="end" fill="${MUTED}">${escapeXml(yAxis.labels[i]!)}</text>`,
    );
  });
  xAxis.ticks.forEach((tick, i) => {
    const x = px(xAt(tick));
    out.push(
      `<line x1="${x}" y1="${top}" x2="${x}" y2="${BOTTOM}" stroke="${GRID}" stroke-opacity="0.6"/>`,
      `<line x1="${x}" y1="${BOTTOM}" x2="${x}" y2="${BOTTOM + 5}" stroke="${MUTED}"/>`,
      `<text x="${x}" y="${BOTTOM + 19}" text-anchor="middle" fill="${MUTED}">${escapeXml(xAxis.labels[i]!)}</text>`,
    );
  });
  out.push(
    `<path d="M${left} ${top}V${BOTTOM}H${RIGHT}" fill="none" stroke="${MUTED}"/>`,
    `<text x="${px((left + RIGHT) / 2)}" y="${BOTTOM + 44}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(18 ${px((top + BOTTOM) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
  );
  for (const target of targets) {
    const y = px(yAt(target.y));
    out.push(
      `<line x1="${left}" y1="${y}" x2="${RIGHT}" y2="${y}" stroke="${TARGET}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    );
  }
  series.forEach((s, i) => {
    const { colour, shape } = styleOf(i);
    const coordinates = s.points.map(([x, y]) => `${px(xAt(x))},${px(yAt(y))}`).join(' ');
    if (s.points.length > 1)
      out.push(`<polyline points="${coordinates}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [x, y] of s.points) out.push(marker(shape, xAt(x), yAt(y), colour));
  });
  // Target labels last, haloed in white, so that no series line runs through their text.
  for (const target of targets)
    out.push(
      `<text x="${RIGHT - 4}" y="${px(yAt(target.y) - 5)}" text-anchor="end" font-size="11" fill="${TARGET}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(target.label)}</text>`,
    );
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}

/** bench/<name>.svg, committed next to the scenario that drew it. */
export async function writeChart(name: string, svg: string): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new Error(`chart name ${JSON.stringify(name)}: use a-z, 0-9 and -`);
  await writeFile(new URL(`./${name}.svg`, import.meta.url), svg);
}
