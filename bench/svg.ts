/**
 * What the benchmark's two charts (`chart.ts`, `chart_scale.ts`) share: the page's size and its
 * two columns of panels, the SVG document with its styles, and the PNG made from it in Debian's
 * Chromium.
 *
 * @module
 */

import { launchChromium } from "../tools/chromium.ts";

/** The picture's width, one column's width and the margin around and between columns. */
export const WIDTH = 1100, COLUMN = 530, MARGIN = 20;

export const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Draws `panels` in two columns from `top`, rows `gap` apart, each row as tall as its taller
 * panel; `draw` answers a panel's SVG and height. Answers the SVG and the picture's height.
 */
export function twoColumns<P>(
  panels: readonly P[],
  top: number,
  gap: number,
  draw: (panel: P, x: number, y: number, width: number) => [string, number],
): { body: string[]; height: number } {
  const body: string[] = [];
  let rowY = top, rowHeight = 0;
  panels.forEach((panel, i) => {
    const col = i % 2;
    if (col === 0 && i > 0) {
      rowY += rowHeight + gap;
      rowHeight = 0;
    }
    const [svg, h] = draw(panel, MARGIN + col * (COLUMN + 20), rowY, COLUMN);
    body.push(svg);
    rowHeight = Math.max(rowHeight, h);
  });
  return { body, height: rowY + rowHeight + 20 };
}

/** A standalone SVG document of `height` holding `content`, with the charts' styles. */
export function svgDocument(height: number, titleSize: number, content: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">
<style>
  text { font-family: "DejaVu Sans", Arial, sans-serif; fill: #0f172a; }
  .title { font-size: ${titleSize}px; font-weight: bold; }
  .label { font-size: 12px; }
  .value { font-size: 11px; fill: #334155; }
  .head { font-size: 20px; font-weight: bold; }
  .sub { font-size: 12px; fill: #475569; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
${content}
</svg>`;
}

/** Renders `svg` to a PNG at `path`; `what` names it in the error if it does not render. */
export async function renderPng(svg: string, path: string, what: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    await page.setContent(
      `<!doctype html><html><body style="margin:0;background:#fff">${svg}</body></html>`,
    );
    const element = await page.$("svg");
    if (!element) throw new Error(`${what} did not render`);
    await element.screenshot({ path });
  } finally {
    await browser.close();
  }
}
