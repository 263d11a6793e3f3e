// A world map in an <svg>: countries from world-atlas (110m) drawn with d3-geo.
// Both are installed from npm by `make run` and served from /vendor (see api/dashboard.py); the
// page's shell loads them as classic scripts that define window.d3 and window.topojson.
//
//   const map = await worldMap(svgElement, { width: 960, height: 480 });
//   map.projection([lon, lat]) -> [x, y];  map.path(geojson) -> "M...";  map.layer("track") -> <g>
//   map.countries: GeoJSON features; feature.id is the ISO 3166-1 numeric code ("156" for China)

import { h } from "./app.js";

let atlas = null;

async function loadAtlas() {
  if (!atlas) {
    atlas = fetch("/vendor/countries-110m.json").then(async (r) => {
      if (!r.ok) {
        let detail = "";
        try { detail = (await r.json()).detail; } catch { /* not a problem document */ }
        throw new Error(detail || "the world map data could not be loaded");
      }
      return r.json();
    });
  }
  return atlas;
}

export function mapLibrariesLoaded() {
  return Boolean(window.d3 && window.d3.geoPath && window.topojson);
}

/** Numeric ISO 3166 ids of world-atlas are zero-padded to three digits ("004"). */
export function numericId(code) {
  return String(code).padStart(3, "0");
}

export async function worldMap(svg, { width = 960, height = 480, label = "World map" } = {}) {
  if (!mapLibrariesLoaded()) {
    throw new Error("the map libraries are not installed: run `make run` (npm ci in web/)");
  }
  const { d3, topojson } = window;
  const world = await loadAtlas();
  const countries = topojson.feature(world, world.objects.countries).features;
  const projection = d3.geoEquirectangular().fitSize([width, height], { type: "Sphere" });
  const path = d3.geoPath(projection);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.classList.add("world-map");
  svg.replaceChildren(
    h("path", { class: "map-sphere", d: path({ type: "Sphere" }) }),
    h("path", { class: "map-graticule", d: path(d3.geoGraticule10()) }),
    h("g", { class: "map-countries" },
      countries.map((f) => h("path", { class: "map-country", d: path(f), dataset: { id: numericId(f.id) } },
        h("title", {}, f.properties && f.properties.name ? f.properties.name : "")))),
  );
  const layers = new Map();
  return {
    projection,
    path,
    countries,
    width,
    height,
    /** A <g> drawn above the countries, created on first use, in creation order. */
    layer(name) {
      if (!layers.has(name)) {
        const g = h("g", { class: `map-layer map-layer-${name}` });
        svg.append(g);
        layers.set(name, g);
      }
      return layers.get(name);
    },
    /** The <path> of a country by ISO numeric code (a number or "156"), or null. */
    country(code) {
      return svg.querySelector(`.map-country[data-id="${numericId(code)}"]`);
    },
  };
}
