/** A small inline chart of the last rates (calls per second), as SVG. */
const SVG = "http://www.w3.org/2000/svg";

export function sparkline(values: number[], width = 90, height = 18): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(" ");
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points || `0,${height - 1} ${width},${height - 1}`);
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#3451b2");
  line.setAttribute("stroke-width", "1.5");
  svg.append(line);
  return svg;
}
