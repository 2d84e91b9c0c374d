// Renders every ```mermaid block of the given Markdown files in headless Chromium with mermaid,
// as GitHub does, and checks the comparison chart's geometry from the SVG mermaid drew:
//   - each metric (x position) shows exactly one bar, in the colour of the series holding it;
//   - each bar's top sits where its value belongs on the axis (within 1 px of the SVG), read
//     off the axis's own tick labels, and so does the incumbent's line at 100;
//   - a change of 4 % or more stands at least 10 px off the incumbent's line;
//   - mermaid reports no error (a bar below the axis has a negative height, which is how the
//     chart hides a metric's bars in the other series: those messages are the expected ones).
// With --png FILE, the first chart's picture is written there.
//
// Usage: node render.mjs --modules DIR --chromium PATH [--png FILE] REPORT.md...
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const take = (flag) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
};
const modules = take('--modules');
const chromiumPath = take('--chromium');
const png = take('--png');
const files = args;
if (!modules || !chromiumPath || files.length === 0) {
  console.error('usage: node render.mjs --modules DIR --chromium PATH [--png FILE] REPORT.md...');
  process.exit(2);
}
const { chromium } = await import(
  pathToFileURL(path.join(modules, 'playwright-core/index.mjs')).href
);

/** The mermaid blocks of a Markdown text (insta snapshots included), with their line. */
function mermaidBlocks(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```mermaid') continue;
    const start = i + 1;
    const body = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    blocks.push({ where: `${file}:${start}`, source: body.join('\n') });
  }
  return blocks;
}

/** The series the source declares: `bar "name" [..]` / `line "name" [..]`, in order. */
function series(source) {
  const out = [];
  for (const m of source.matchAll(/^\s*(bar|line)\s+"([^"]*)"\s*\[([^\]]*)\]/gm)) {
    out.push({ kind: m[1], name: m[2], values: m[3].split(',').map(Number) });
  }
  return out;
}

const failures = [];
const fail = (where, what) => failures.push(`${where}: ${what}`);

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
let charts = 0;
try {
  for (const file of files) {
    for (const { where, source } of mermaidBlocks(file)) {
      if (!source.includes('xychart-beta')) continue;
      charts++;
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
      const errors = [];
      page.on('console', (m) => {
        const text = m.text();
        if (m.type() === 'error' && !/<rect> attribute height: A negative value/.test(text)) {
          errors.push(text);
        }
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.setContent('<html><body style="margin:0;background:#fff"><div id="out"></div></body></html>');
      await page.addScriptTag({ path: path.join(modules, 'mermaid/dist/mermaid.min.js') });
      let drawn;
      try {
        drawn = await page.evaluate(async (src) => {
          mermaid.initialize({ startOnLoad: false });
          const { svg } = await mermaid.render('chart', src);
          document.getElementById('out').innerHTML = svg;
          const root = document.querySelector('#out svg');
          const plots = [...root.querySelectorAll('g.plot > g')].map((g) => ({
            kind: g.getAttribute('class').startsWith('bar') ? 'bar' : 'line',
            rects: [...g.querySelectorAll('rect')].map((r) => {
              // Drawn size from the layout (a negative height is not drawn: 0); position
              // from the attributes, in the SVG's own units like the ticks and lines.
              const box = r.getBoundingClientRect();
              return { top: Number(r.getAttribute('y')), height: box.height, fill: r.getAttribute('fill') };
            }),
            path: g.querySelector('path')?.getAttribute('d') ?? null,
          }));
          // The y axis's tick labels: value and where mermaid put it (its middle, in SVG
          // units: `translate(x, y)` with dominant-baseline middle).
          const ticks = [...root.querySelectorAll('g.left-axis g.label text')].map((t) => {
            const at = /translate\(\s*[-\d.]+\s*,\s*([-\d.]+)/.exec(t.getAttribute('transform') ?? '');
            return { value: Number(t.textContent), y: at ? Number(at[1]) : NaN };
          });
          return { plots, ticks };
        }, source);
      } catch (e) {
        fail(where, `mermaid could not draw it: ${e.message.split('\n')[0]}`);
        await page.close();
        continue;
      }
      for (const e of errors) fail(where, `mermaid or the browser reported: ${e}`);
      check(where, source, drawn);
      if (png && charts === 1) {
        fs.mkdirSync(path.dirname(png), { recursive: true });
        await page.locator('#out svg').screenshot({ path: png });
      }
      await page.close();
    }
  }
} finally {
  await browser.close();
}
if (charts === 0) fail(files.join(' '), 'no xychart-beta block found');

/** The geometry checks of one drawn chart. */
function check(where, source, drawn) {
  const declared = series(source);
  const bars = declared.filter((s) => s.kind === 'bar');
  const drawnBars = drawn.plots.filter((p) => p.kind === 'bar');
  if (drawnBars.length !== bars.length) {
    fail(where, `${bars.length} bar series declared, ${drawnBars.length} drawn`);
    return;
  }
  // Value → client y, fitted through the tick labels (least squares; they are evenly spaced).
  const ticks = drawn.ticks.filter((t) => Number.isFinite(t.value) && Number.isFinite(t.y));
  if (ticks.length < 2) {
    fail(where, 'fewer than two y-axis tick labels drawn');
    return;
  }
  const n = ticks.length;
  const mv = ticks.reduce((a, t) => a + t.value, 0) / n;
  const my = ticks.reduce((a, t) => a + t.y, 0) / n;
  const slope =
    ticks.reduce((a, t) => a + (t.value - mv) * (t.y - my), 0) /
    ticks.reduce((a, t) => a + (t.value - mv) ** 2, 0);
  const yOf = (v) => my + slope * (v - mv);
  const metrics = bars[0].values.length;
  const incumbentY = yOf(100);
  for (let i = 0; i < metrics; i++) {
    const visible = [];
    drawnBars.forEach((plot, s) => {
      const rect = plot.rects[i];
      if (rect && rect.height > 0.5) visible.push({ s, rect });
    });
    const holders = bars.map((b, s) => [b.values[i], s]).filter(([v]) => v > 0);
    if (visible.length !== 1 || holders.length !== 1) {
      fail(where, `metric ${i + 1}: ${visible.length} bars visible, ${holders.length} series hold a value (want 1 and 1)`);
      continue;
    }
    const [{ s, rect }] = visible;
    const [[value, holder]] = holders;
    if (s !== holder) {
      fail(where, `metric ${i + 1}: drawn in series "${bars[s].name}", declared in "${bars[holder].name}"`);
    }
    const want = yOf(value);
    if (Math.abs(rect.top - want) > 1) {
      fail(where, `metric ${i + 1}: bar top at ${rect.top.toFixed(1)} px, its value ${value} belongs at ${want.toFixed(1)} px`);
    }
    if (Math.abs(value - 100) >= 4 && Math.abs(rect.top - incumbentY) < 10) {
      fail(where, `metric ${i + 1}: a change of ${(value - 100).toFixed(1)} % stands ${Math.abs(rect.top - incumbentY).toFixed(1)} px off the incumbent's line (want ≥ 10)`);
    }
  }
  // The incumbent's line: every point at 100.
  const lines = drawn.plots.filter((p) => p.kind === 'line');
  const incumbentIndex = declared.filter((s) => s.kind === 'line').findIndex((s) => s.name === 'incumbent');
  const d = incumbentIndex >= 0 ? lines[incumbentIndex]?.path : null;
  if (!d) {
    fail(where, 'no incumbent line drawn');
    return;
  }
  for (const m of d.matchAll(/[ML]\s*[-\d.]+,\s*([-\d.]+)/g)) {
    const y = Number(m[1]);
    if (Math.abs(y - incumbentY) > 1) {
      fail(where, `incumbent line at ${y.toFixed(1)} px, 100 belongs at ${incumbentY.toFixed(1)} px`);
      break;
    }
  }
}

if (failures.length > 0) {
  for (const f of failures) console.error(`render-chart: ${f}`);
  process.exit(1);
}
console.log(`render-chart: ${charts} chart(s) drawn by mermaid in Chromium; geometry as declared`);
