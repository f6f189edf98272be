/// <reference lib="dom" />
// SVG elements for the diagrams the dashboard draws itself (the energy flow, the daily bars).
const NS = "http://www.w3.org/2000/svg";

export function svgEl(tag: string, attrs: { [a: string]: string | number }, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const a in attrs) e.setAttribute(a, String(attrs[a]));
  if (text !== undefined) e.textContent = text;
  return e;
}
