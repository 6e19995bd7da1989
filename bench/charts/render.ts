// Renders a vega-lite spec to an SVG string in Node: vega-lite compiles it to a vega spec, a
// headless vega View (renderer 'none': no DOM, no canvas) draws it as SVG. Text widths are vega's
// estimates without a canvas, so labels can sit a pixel or two off; nothing else needs a browser.
import { type LoggerInterface, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * vega-lite's note on every faceted layer with an independent scale (the throughput chart's cells):
 * it cannot tell that the layers read one data source. They do, and the cells come out sized right.
 */
const HARMLESS = /^Detected faceted independent scales that union domain of the same fields from different source/;

/** vega-lite's warnings to stderr (not its default console), less the one above. */
class ChartLogger implements LoggerInterface {
  readonly warnings: string[] = [];
  #level = 2;
  level(value?: number): number | LoggerInterface {
    if (value === undefined) return this.#level;
    this.#level = value;
    return this;
  }
  error(...args: unknown[]): this {
    throw new Error(`vega-lite: ${args.map(String).join(' ')}`);
  }
  warn(...args: unknown[]): this {
    const message = args.map(String).join(' ');
    if (HARMLESS.test(message)) return this;
    this.warnings.push(message);
    process.stderr.write(`[charts] vega-lite: ${message}\n`);
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
}

/** The chart as an SVG document (a string starting with `<svg`). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec, { logger: new ChartLogger() }).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
