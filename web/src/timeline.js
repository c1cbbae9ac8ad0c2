// timeline.js - the day's activity (uPlot: events and findings per 10 minutes) over a
// from/to range slider in minutes of the UTC day.  Dragging across the chart selects a range
// too.  The caller owns the state: it gets onRange(fromMin, toMin) and calls update().

import uPlot from './vendor/uplot.js';

const BIN_MIN = 10;
const NBINS = (24 * 60) / BIN_MIN;

function fmt(min) {
  const h = Math.floor(min / 60);
  const m = min % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

export class Timeline {
  constructor(chartEl, fromEl, toEl, labelEl, onRange) {
    this.fromEl = fromEl;
    this.toEl = toEl;
    this.labelEl = labelEl;
    this.onRange = onRange;
    const xs = Array.from({ length: NBINS }, (_, i) => i * BIN_MIN * 60);
    this.data = [xs, new Array(NBINS).fill(0), new Array(NBINS).fill(0)];
    const bars = uPlot.paths.bars({ size: [0.9, 100] });
    this.plot = new uPlot(
      {
        width: Math.max(300, chartEl.clientWidth || 800),
        height: 90,
        legend: { show: false },
        cursor: { drag: { x: true, y: false, setScale: false } },
        scales: { x: { time: false, range: [0, 86400] } },
        axes: [
          {
            splits: () => Array.from({ length: 13 }, (_, i) => i * 7200),
            values: (u, vals) => vals.map((v) => fmt(Math.round(v / 60))),
            size: 24,
          },
          { size: 36 },
        ],
        series: [
          {},
          { label: 'events', fill: 'rgba(60,80,100,0.35)', stroke: '#3c5064', paths: bars },
          { label: 'findings', fill: 'rgba(217,115,26,0.6)', stroke: '#d9731a', paths: bars },
        ],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 4) {
                return;
              }
              const a = u.posToVal(u.select.left, 'x') / 60;
              const b = u.posToVal(u.select.left + u.select.width, 'x') / 60;
              this.set(Math.max(0, Math.floor(a / 5) * 5), Math.min(1440, Math.ceil(b / 5) * 5));
              u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
            },
          ],
        },
      },
      this.data,
      chartEl,
    );
    const moved = () => {
      let a = Number(fromEl.value);
      let b = Number(toEl.value);
      if (b <= a) {
        if (document.activeElement === fromEl) {
          a = Math.max(0, b - 5);
        } else {
          b = Math.min(1440, a + 5);
        }
      }
      this.set(a, b);
    };
    fromEl.addEventListener('input', moved);
    toEl.addEventListener('input', moved);
    window.addEventListener('resize', () =>
      this.plot.setSize({ width: Math.max(300, chartEl.clientWidth), height: 90 }),
    );
    this.label();
  }

  /** Set the range in minutes of the day and tell the owner. */
  set(fromMin, toMin) {
    this.fromEl.value = String(fromMin);
    this.toEl.value = String(toMin);
    this.label();
    this.onRange(fromMin, toMin);
  }

  range() {
    return [Number(this.fromEl.value), Number(this.toEl.value)];
  }

  label() {
    const [a, b] = this.range();
    this.labelEl.textContent = `${fmt(a)}–${b === 1440 ? '24:00' : fmt(b)} UTC`;
  }

  /** Recount the bars from the day's events and findings (times in ms) for day start dayMs. */
  update(dayMs, eventTimes, findingTimes) {
    const ev = new Array(NBINS).fill(0);
    const fd = new Array(NBINS).fill(0);
    const bin = (t) => Math.floor((t - dayMs) / (BIN_MIN * 60000));
    for (const t of eventTimes) {
      const i = bin(t);
      if (i >= 0 && i < NBINS) {
        ev[i]++;
      }
    }
    for (const t of findingTimes) {
      const i = bin(t);
      if (i >= 0 && i < NBINS) {
        fd[i]++;
      }
    }
    this.data = [this.data[0], ev, fd];
    this.plot.setData(this.data);
  }
}
