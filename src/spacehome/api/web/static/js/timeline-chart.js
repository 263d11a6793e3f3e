// The timeline chart: orbit bands, resource profiles and lanes on one <canvas>, under one time
// axis. Pan and zoom change the visible window [t0, t1) (seconds from the horizon start) and
// redraw only what is visible, once per animation frame: no DOM is rebuilt while panning.

const KIND_COLOURS = {
  run: "#0b3d91",
  setup: "#5478b4",
  teardown: "#5478b4",
  downlink: "#17663a",
  unpack: "#8a5a00",
  "fixed-event": "#9b1c1c",
  "crew-day": "#b9c1cc",
  activity: "#4a5360",
};
export const KIND_NAMES = {
  run: "experiment run",
  setup: "setup",
  teardown: "teardown",
  downlink: "downlink",
  unpack: "cargo unpacking",
  "fixed-event": "fixed station event",
  "crew-day": "crew day (sleep, meals, exercise, conference)",
  activity: "other activity",
};
export const kindColour = (kind) => KIND_COLOURS[kind] || KIND_COLOURS.activity;

const AXIS_H = 26;
const BAND_H = 12;
const PROFILE_H = 38;
const LANE_H = 20;
const SECTION_H = 20;
const MIN_SPAN_S = 30 * 60; // the closest zoom: half an hour across
const TICKS = [900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
const SECTION_NAMES = { crew: "Crew", rack: "Racks", adapter: "External adapters", downlink: "Downlink", other: "Other" };

const pad = (n) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Rows of the chart (top to bottom) from the timeline view. */
function layout(view, hideEmpty) {
  const rows = [];
  let y = AXIS_H;
  const push = (row, h) => {
    rows.push({ ...row, y, h });
    y += h;
  };
  push({ type: "section", label: "Orbit" }, SECTION_H);
  push({ type: "band", label: "Eclipse", spans: view.bands.eclipses, colour: "#1b2a4a" }, BAND_H + 4);
  for (const station of view.bands.stations) {
    push({ type: "band", label: `Contact: ${station.name}`, spans: station.contacts, colour: "#2e7d4f" }, BAND_H);
  }
  push({ type: "section", label: "Resources" }, SECTION_H);
  for (const profile of view.profiles) {
    if (!profile.modelled) push({ type: "note", label: profile.label, text: `not modelled: ${profile.note}` }, LANE_H);
    else push({ type: "profile", label: `${profile.label} (${profile.unit})`, profile, max: Math.max(1, ...profile.steps.map((s) => Math.max(s[1], s[2]))) }, PROFILE_H);
  }
  let section = null;
  for (const lane of view.lanes) {
    if (hideEmpty && lane.kind === "adapter" && lane.items.length === 0) continue;
    if (lane.kind !== section) {
      section = lane.kind;
      push({ type: "section", label: SECTION_NAMES[section] || section }, SECTION_H);
    }
    push({ type: "lane", label: lane.label, lane }, LANE_H);
  }
  return { rows, height: y + 6 };
}

export class TimelineChart {
  constructor(canvas, view, { onSelect, onWindow } = {}) {
    this.canvas = canvas;
    this.view = view;
    this.onSelect = onSelect || (() => {});
    this.onWindow = onWindow || (() => {});
    this.horizon = view.horizon.seconds;
    this.t0 = 0;
    this.t1 = this.horizon;
    this.selected = null; // activity index
    this.hideEmpty = true;
    this.frame = 0;
    this.dragging = null;
    this.relayout();
    this.bind();
  }

  relayout() {
    this.layout = layout(this.view, this.hideEmpty);
    this.resize();
  }

  resize() {
    const host = this.canvas.parentElement;
    if (!host) return;
    const width = Math.max(280, Math.floor(host.clientWidth));
    this.width = width;
    this.gutter = width < 600 ? 92 : 170;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(this.layout.height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${this.layout.height}px`;
    this.ratio = ratio;
    this.draw();
  }

  x(t) {
    return this.gutter + ((t - this.t0) / (this.t1 - this.t0)) * (this.width - this.gutter - 4);
  }

  timeAt(px) {
    return this.t0 + ((px - this.gutter) / (this.width - this.gutter - 4)) * (this.t1 - this.t0);
  }

  /** Set the visible window (clamped to the horizon) and redraw on the next frame. */
  setWindow(t0, t1) {
    let span = Math.min(Math.max(t1 - t0, MIN_SPAN_S), this.horizon);
    let start = Math.min(Math.max(t0, 0), this.horizon - span);
    if (!Number.isFinite(start)) start = 0;
    this.t0 = start;
    this.t1 = start + span;
    this.schedule();
  }

  pan(fraction) {
    const span = this.t1 - this.t0;
    this.setWindow(this.t0 + span * fraction, this.t1 + span * fraction);
  }

  zoom(factor, centre = (this.t0 + this.t1) / 2) {
    const span = Math.min(Math.max((this.t1 - this.t0) * factor, MIN_SPAN_S), this.horizon);
    const k = (centre - this.t0) / (this.t1 - this.t0);
    this.setWindow(centre - span * k, centre - span * k + span);
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
      this.onWindow(this.t0, this.t1);
    });
  }

  /** The activity indices of the lanes shown, overlapping the visible window, by start. */
  visibleItems() {
    const seen = new Set();
    const out = [];
    for (const row of this.layout.rows) {
      if (row.type !== "lane") continue;
      for (const i of row.lane.items) {
        const a = this.view.activities[i];
        if (a.e > this.t0 && a.s < this.t1 && !seen.has(i)) {
          seen.add(i);
          out.push(i);
        }
      }
    }
    return out.sort((i, j) => this.view.activities[i].s - this.view.activities[j].s || i - j);
  }

  select(index, { reveal = false } = {}) {
    this.selected = index;
    if (index !== null && reveal) {
      const a = this.view.activities[index];
      if (a.e <= this.t0 || a.s >= this.t1) {
        const span = this.t1 - this.t0;
        this.setWindow((a.s + a.e) / 2 - span / 2, (a.s + a.e) / 2 + span / 2);
      }
    }
    this.schedule();
  }

  hit(px, py) {
    const row = this.layout.rows.find((r) => py >= r.y && py < r.y + r.h);
    if (!row || row.type !== "lane" || px < this.gutter) return null;
    const t = this.timeAt(px);
    const slack = (4 * (this.t1 - this.t0)) / (this.width - this.gutter); // 4 px
    let best = null;
    for (const i of row.lane.items) {
      const a = this.view.activities[i];
      if (a.s - slack <= t && t < a.e + slack) {
        if (best === null || (a.s <= t && t < a.e)) best = i;
      }
    }
    return best;
  }

  bind() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      this.dragging = { x: event.clientX, t0: this.t0, t1: this.t1, moved: false, id: event.pointerId };
    });
    c.addEventListener("pointermove", (event) => {
      const d = this.dragging;
      if (!d) return;
      const dx = event.clientX - d.x;
      if (!d.moved && Math.abs(dx) < 4) return;
      if (!d.moved) {
        d.moved = true;
        c.setPointerCapture(d.id);
        c.classList.add("dragging");
      }
      const dt = (-dx / (this.width - this.gutter - 4)) * (d.t1 - d.t0);
      this.setWindow(d.t0 + dt, d.t1 + dt);
    });
    const end = (event) => {
      const d = this.dragging;
      this.dragging = null;
      c.classList.remove("dragging");
      if (!d || d.moved || event.type !== "pointerup") return;
      const box = c.getBoundingClientRect();
      const index = this.hit(event.clientX - box.left, event.clientY - box.top);
      if (index !== null) {
        this.select(index);
        this.onSelect(index);
      }
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("wheel", (event) => {
      if (!(event.ctrlKey || event.metaKey)) {
        if (event.shiftKey) {
          event.preventDefault();
          this.pan((event.deltaY || event.deltaX) / 1000);
        }
        return;
      }
      event.preventDefault();
      const box = c.getBoundingClientRect();
      this.zoom(event.deltaY > 0 ? 1.25 : 0.8, this.timeAt(event.clientX - box.left));
    }, { passive: false });
    c.addEventListener("keydown", (event) => {
      const keys = {
        ArrowLeft: () => this.pan(-0.1),
        ArrowRight: () => this.pan(0.1),
        PageUp: () => this.pan(-0.9),
        PageDown: () => this.pan(0.9),
        Home: () => this.setWindow(0, this.t1 - this.t0),
        End: () => this.setWindow(this.horizon - (this.t1 - this.t0), this.horizon),
        "+": () => this.zoom(0.5),
        "=": () => this.zoom(0.5),
        "-": () => this.zoom(2),
        n: () => this.step(1),
        p: () => this.step(-1),
        Enter: () => this.selected !== null && this.onSelect(this.selected),
      };
      const action = keys[event.key];
      if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      action();
    });
  }

  /** Move the selection to the next (+1) or previous (-1) visible activity. */
  step(direction) {
    const items = this.visibleItems();
    if (!items.length) return;
    const at = items.indexOf(this.selected);
    const next = at < 0 ? (direction > 0 ? 0 : items.length - 1) : Math.min(Math.max(at + direction, 0), items.length - 1);
    this.select(items[next]);
    this.onSelect(items[next], { focusStays: true });
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    const { width, gutter } = this;
    const right = width - 4;
    ctx.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    ctx.clearRect(0, 0, width, this.layout.height);
    ctx.font = "12px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    this.drawAxis(ctx, right);
    for (const row of this.layout.rows) {
      const mid = row.y + row.h / 2;
      if (row.type === "section") {
        ctx.fillStyle = "#eef1f5";
        ctx.fillRect(0, row.y, width, row.h);
        ctx.fillStyle = "#1b1f24";
        ctx.font = "600 12px system-ui, sans-serif";
        ctx.fillText(row.label, 6, mid);
        ctx.font = "12px system-ui, sans-serif";
        continue;
      }
      ctx.fillStyle = "#4a5360";
      ctx.fillText(this.fit(ctx, row.label, gutter - 10), 6, mid);
      ctx.strokeStyle = "#e4e8ee";
      ctx.beginPath();
      ctx.moveTo(0, row.y + row.h - 0.5);
      ctx.lineTo(width, row.y + row.h - 0.5);
      ctx.stroke();
      ctx.save();
      ctx.beginPath();
      ctx.rect(gutter, row.y, right - gutter, row.h);
      ctx.clip();
      if (row.type === "band") this.drawBand(ctx, row);
      else if (row.type === "profile") this.drawProfile(ctx, row, right);
      else if (row.type === "lane") this.drawLane(ctx, row);
      else if (row.type === "note") {
        ctx.fillStyle = "#4a5360";
        ctx.fillText(row.text, gutter + 6, mid);
      }
      ctx.restore();
    }
  }

  fit(ctx, text, max) {
    if (ctx.measureText(text).width <= max) return text;
    let n = Math.max(1, Math.floor((text.length * max) / ctx.measureText(text).width) - 1);
    while (n > 1 && ctx.measureText(text.slice(0, n) + "…").width > max) n -= 1;
    return text.slice(0, n) + "…";
  }

  drawAxis(ctx, right) {
    const span = this.t1 - this.t0;
    const plot = right - this.gutter;
    const step = TICKS.find((s) => (s / span) * plot >= 90) || TICKS[TICKS.length - 1];
    const epoch = Date.parse(this.view.horizon.start);
    ctx.fillStyle = "#1b1f24";
    ctx.fillText("UTC", 6, AXIS_H / 2);
    ctx.strokeStyle = "#c9d0d9";
    const first = Math.ceil((epoch / 1000 + this.t0) / step) * step - epoch / 1000;
    for (let t = first; t <= this.t1; t += step) {
      const x = Math.round(this.x(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, AXIS_H - 6);
      ctx.lineTo(x, this.layout.height);
      ctx.stroke();
      const d = new Date(epoch + t * 1000);
      const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0;
      const label = midnight || step >= 86400
        ? `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())}`
        : `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
      if (x + 2 < right - 30) ctx.fillText(label, x + 3, AXIS_H / 2);
    }
  }

  drawBand(ctx, row) {
    ctx.fillStyle = row.colour;
    for (const [a, b] of row.spans) {
      if (b <= this.t0 || a >= this.t1) continue;
      const x0 = this.x(a);
      ctx.fillRect(x0, row.y + 2, Math.max(1, this.x(b) - x0), row.h - 4);
    }
  }

  drawProfile(ctx, row, right) {
    const steps = row.profile.steps;
    const top = row.y + 3;
    const h = row.h - 6;
    const yOf = (v) => top + h - (v / row.max) * h;
    // the capacity as a light area, the use as a line
    for (const [key, style] of [[2, "#dbe7f5"], [1, null]]) {
      ctx.beginPath();
      let started = false;
      for (let i = 0; i < steps.length; i += 1) {
        const from = steps[i][0];
        const to = i + 1 < steps.length ? steps[i + 1][0] : this.horizon;
        if (to <= this.t0 || from >= this.t1) continue;
        const x0 = Math.max(this.x(from), this.gutter);
        const x1 = Math.min(this.x(to), right);
        const y = yOf(steps[i][key]);
        if (!started) {
          ctx.moveTo(x0, style ? top + h : y);
          if (style) ctx.lineTo(x0, y);
          started = true;
        } else ctx.lineTo(x0, y);
        ctx.lineTo(x1, y);
      }
      if (!started) continue;
      if (style) {
        ctx.lineTo(Math.min(this.x(this.t1), right), top + h);
        ctx.closePath();
        ctx.fillStyle = style;
        ctx.fill();
      } else {
        ctx.strokeStyle = "#0b3d91";
        ctx.lineWidth = 1.5;
        ctx.stroke();
        ctx.lineWidth = 1;
      }
    }
  }

  drawLane(ctx, row) {
    const acts = this.view.activities;
    const top = row.y + 2;
    const h = row.h - 4;
    let selected = null;
    for (const i of row.lane.items) {
      const a = acts[i];
      if (a.e <= this.t0 || a.s >= this.t1) continue;
      const x0 = this.x(a.s);
      const w = Math.max(1.5, this.x(a.e) - x0);
      ctx.fillStyle = kindColour(a.kind);
      const crewDay = a.kind === "crew-day";
      ctx.fillRect(x0, crewDay ? top + h / 4 : top, w, crewDay ? h / 2 : h);
      if (w > 48 && !crewDay) {
        ctx.fillStyle = "#ffffff";
        ctx.fillText(this.fit(ctx, a.label, w - 6), Math.max(x0, this.gutter) + 3, top + h / 2);
      }
      if (i === this.selected) selected = [x0, w];
    }
    if (selected) {
      ctx.strokeStyle = "#ffbf47";
      ctx.lineWidth = 3;
      ctx.strokeRect(selected[0] - 1.5, top - 1.5, selected[1] + 3, h + 3);
      ctx.lineWidth = 1;
    }
  }
}
