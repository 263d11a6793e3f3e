// The station page's schematic: the modules and docked ships of one /api/v1/station view, drawn
// as an SVG top view (our own drawing code). Tianhe is the stem of the T with its node at the
// front; each vehicle or module is drawn at the Tianhe port the record puts it on. Nadir and
// zenith point out of the page, so they are drawn on diagonal leaders and say so.
import { h, fmtUtc } from "./app.js";

const R = 24; // node radius
const CORE = 200; // Tianhe's stem behind the node
const MODULE = 180; // a laboratory module
const SHIP = { crewed: 64, cargo: 74, module: MODULE };
const WIDTH = { crewed: 26, cargo: 32, module: 44 };
const D = Math.SQRT1_2;

/**
 * Where each port of the record is on the drawing (a top view, y down, the node at 0,0), which way
 * its occupant points, and where its label goes ([x, y, text-anchor]). Zenith faces the viewer:
 * its hatch is the middle of the node. Nadir is under the node, hidden in a top view: its ship is
 * drawn beside the stem on a dashed leader.
 */
const PORTS = {
  forward: { at: [0, -R], dir: [0, -1], label: [26, -70, "start"], name: "Forward" },
  aft: { at: [0, R + CORE], dir: [0, 1], label: [-26, R + CORE + 18, "end"], name: "Aft" },
  port: { at: [-R, 0], dir: [-1, 0], label: [-30, 44, "end"], name: "Port" },
  starboard: { at: [R, 0], dir: [1, 0], label: [30, -32, "start"], name: "Starboard" },
  nadir: { at: [62, 44], dir: [0, 1], leader: [[14, 14], [62, 44]], label: [84, 72, "start"], name: "Nadir (below)" },
  zenith: { at: [0, 0], dir: null, leader: [[4, -4], [-20, -32]], label: [-24, -36, "end"], name: "Zenith hatch" },
};

const kindWord = { crewed: "crew ship", cargo: "cargo ship", module: "module" };

/** The port's short name for sentences ("the port-side port"). */
export function portPhrase(port) {
  return port === "port" ? "the port-side port" : `the ${port} port`;
}

/** One sentence summarising the view, for the drawing's text alternative and announcements. */
export function summary(view) {
  const modules = view.modules.map((m) => (m.attached_at === "core" ? `${m.name} core module` : `${m.name} at ${portPhrase(m.attached_at)}${m.certainty === "possible" ? " (possibly)" : ""}`));
  const ships = view.ports
    .filter((p) => p.occupant && p.occupant.kind !== "module")
    .map((p) => `${p.occupant.name} at ${portPhrase(p.port)}${p.certainty === "possible" ? " (possibly)" : ""}`);
  const crew = view.crew.length;
  return `The China Space Station at ${fmtUtc(view.state_at)}: ${modules.join(", ")}. `
    + (ships.length ? `Docked: ${ships.join(", ")}. ` : "No ship docked. ")
    + `${crew === 0 ? "No one" : crew === 1 ? "1 person" : `${crew} people`} aboard.`;
}

function text(x, y, content, attrs = {}) {
  return h("text", { x: x.toFixed(1), y: y.toFixed(1), ...attrs }, content);
}

/** A body (module or ship) from (0,0) along +x, in a group turned to the port's direction. */
function body(kind, id, possible, length, width) {
  const cls = `st-body st-${kind}${possible ? " st-possible" : ""}`;
  const parts = [h("rect", { class: cls, x: 0, y: -width / 2, width: length, height: width, rx: kind === "module" ? 6 : 10, dataset: { id } })];
  if (kind === "module") {
    // solar wings across the module, near its far end
    parts.push(h("rect", { class: "st-wing", x: length - 70, y: -width / 2 - 26, width: 46, height: 22 }));
    parts.push(h("rect", { class: "st-wing", x: length - 70, y: width / 2 + 4, width: 46, height: 22 }));
  } else if (kind === "crewed") {
    parts.push(h("line", { class: "st-seam", x1: 22, y1: -width / 2, x2: 22, y2: width / 2 }));
  }
  return parts;
}

function place([ax, ay], [dx, dy]) {
  const angle = (Math.atan2(dy, dx) * 180) / Math.PI;
  return `translate(${ax.toFixed(1)} ${ay.toFixed(1)}) rotate(${angle.toFixed(1)})`;
}

function anchorFor(dx) {
  if (dx > 0.3) return "start";
  if (dx < -0.3) return "end";
  return "middle";
}

/** The SVG of one station view. */
export function drawStation(view) {
  const layers = { bodies: [], labels: [], ports: [] };
  let top = -R - 80;
  let bottom = R + CORE + 40;

  // Tianhe: the node (a sphere) and the stem behind it.
  const core = view.modules.find((m) => m.attached_at === "core");
  layers.bodies.push(
    h("rect", { class: "st-body st-core", x: -22, y: R - 4, width: 44, height: CORE + 4, rx: 6 }),
    h("rect", { class: "st-wing", x: -74, y: R + CORE - 80, width: 46, height: 22 }),
    h("rect", { class: "st-wing", x: 28, y: R + CORE - 80, width: 46, height: 22 }),
    h("circle", { class: "st-body st-core", cx: 0, cy: 0, r: R }),
  );
  if (core) {
    layers.labels.push(
      text(-30, R + 90, core.name, { class: "st-name", "text-anchor": "end" }),
      text(-30, R + 110, "core module", { class: "st-port-label", "text-anchor": "end" }),
    );
  }

  for (const state of view.ports) {
    const geo = PORTS[state.port];
    if (!geo) continue; // a port the drawing does not know: it is in the table
    const [ax, ay] = geo.at;
    const occupant = state.occupant;
    const possible = state.certainty === "possible";
    if (geo.leader) {
      const [[x1, y1], [x2, y2]] = geo.leader;
      layers.ports.push(h("line", { class: "st-leader", x1, y1, x2, y2 }));
    }
    layers.ports.push(h("circle", { class: `st-port${occupant ? " st-port-busy" : ""}`, cx: ax, cy: ay, r: 5 }));
    const [lx, ly, anchor] = geo.label;
    layers.labels.push(text(lx, ly, `${geo.name}${occupant || !geo.dir ? "" : " (free)"}`, { class: "st-port-label", "text-anchor": anchor }));
    if (!occupant || !geo.dir) continue;
    const [dx, dy] = geo.dir;
    const kind = SHIP[occupant.kind] ? occupant.kind : "cargo";
    const length = SHIP[kind];
    layers.bodies.push(h("g", { transform: place(geo.at, geo.dir), class: "st-vehicle", dataset: { port: state.port, vehicle: occupant.id } }, body(kind, occupant.id, possible, length, WIDTH[kind])));
    let ex = ax + dx * (length + 14);
    const ey = ay + dy * (length + 14) + (dy > 0.3 ? 14 : dy < -0.3 ? 0 : 6);
    let nameAnchor = anchorFor(dx);
    if (state.port === "nadir") {
      ex = ax - 12; // clear of the stem
      nameAnchor = "start";
    }
    layers.labels.push(text(ex, ey, `${occupant.name}${possible ? " (possibly)" : ""}`, { class: `st-name st-name-${kind}`, "text-anchor": nameAnchor }));
    top = Math.min(top, ay + dy * (length + 40));
    bottom = Math.max(bottom, ay + dy * (length + 40));
  }

  const left = -330;
  const width = 660;
  const svg = h("svg", {
    class: "station-drawing",
    viewBox: `${left} ${top.toFixed(0)} ${width} ${(bottom - top).toFixed(0)}`,
    role: "img",
    "aria-label": summary(view),
    "data-testid": "station-drawing",
    preserveAspectRatio: "xMidYMid meet",
  },
  h("g", { class: "st-layer-bodies" }, layers.bodies),
  h("g", { class: "st-layer-ports" }, layers.ports),
  h("g", { class: "st-layer-labels" }, layers.labels));
  return svg;
}

export { kindWord };
