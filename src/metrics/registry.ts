// A small metrics registry: counters, gauges and fixed-bucket histograms, written out in the Prometheus text
// exposition format 0.0.4 (HELP and TYPE lines, escaped label values). Our own rather than prom-client: the
// service needs a dozen series, and recording one must cost a map lookup and an addition on the request path.

export type Labels = Record<string, string>;

/** Content-Type of the exposition, as Prometheus negotiates it. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** `{a="x",b="y"}` for the given names and values, or "" when there are none. */
function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((name, index) => `${name}="${escapeLabelValue(values[index]!)}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

abstract class Metric<Child> {
  readonly #children = new Map<string, { values: string[]; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`metric name ${name} is not valid`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith("__") || label === "le") throw new Error(`label name ${label} of ${name} is not valid`);
    }
  }

  abstract readonly type: "counter" | "gauge" | "histogram";
  protected abstract create(): Child;
  protected abstract lines(labels: { names: readonly string[]; values: readonly string[] }, child: Child): string[];

  /** The series for these label values (created at first use). Hot paths bind it once with `with()`. */
  protected child(labels: Labels = {}): Child {
    const values = this.labelNames.map((name) => {
      const value = labels[name];
      if (value === undefined) throw new Error(`metric ${this.name} needs label ${name}`);
      return value;
    });
    const key = values.join("\u0000");
    let entry = this.#children.get(key);
    if (!entry) {
      entry = { values, child: this.create() };
      this.#children.set(key, entry);
    }
    return entry.child;
  }

  /** Drops every series (for gauges refreshed whole at each scrape). */
  reset(): void {
    this.#children.clear();
  }

  expose(): string {
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, child } of this.#children.values()) out.push(...this.lines({ names: this.labelNames, values }, child));
    return out.join("\n");
  }
}

export class Counter extends Metric<{ value: number }> {
  readonly type = "counter";
  protected create() {
    return { value: 0 };
  }
  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} can only go up`);
    this.child(labels).value += by;
  }
  get(labels?: Labels): number {
    return this.child(labels).value;
  }
  /** The series for `labels`, bound: inc() is then one addition. */
  with(labels?: Labels): { inc(by?: number): void } {
    const child = this.child(labels);
    return { inc: (by = 1) => void (child.value += by) };
  }
  protected lines({ names, values }: { names: readonly string[]; values: readonly string[] }, child: { value: number }) {
    return [`${this.name}${labelText(names, values)} ${formatValue(child.value)}`];
  }
}

export class Gauge extends Metric<{ value: number }> {
  readonly type = "gauge";
  protected create() {
    return { value: 0 };
  }
  set(labels: Labels | undefined, value: number): void {
    this.child(labels).value = value;
  }
  get(labels?: Labels): number {
    return this.child(labels).value;
  }
  protected lines({ names, values }: { names: readonly string[]; values: readonly string[] }, child: { value: number }) {
    return [`${this.name}${labelText(names, values)} ${formatValue(child.value)}`];
  }
}

interface HistogramChild {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramChild> {
  readonly type = "histogram";
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    if (buckets.length === 0 || buckets.some((bound, index) => index > 0 && bound <= buckets[index - 1]!)) {
      throw new Error(`buckets of ${name} must be increasing`);
    }
    this.buckets = buckets;
  }

  protected create(): HistogramChild {
    return { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
  }

  observe(labels: Labels | undefined, value: number): void {
    this.#record(this.child(labels), value);
  }

  #record(child: HistogramChild, value: number): void {
    // Counts per bucket, not cumulative: one increment per observation; expose() accumulates.
    const buckets = this.buckets;
    for (let index = 0; index < buckets.length; index++) {
      if (value <= buckets[index]!) {
        child.counts[index]!++;
        break;
      }
    }
    child.sum += value;
    child.count++;
  }

  /** The series for `labels`, bound. */
  with(labels?: Labels): { observe(value: number): void } {
    const child = this.child(labels);
    return { observe: (value) => this.#record(child, value) };
  }

  protected lines({ names, values }: { names: readonly string[]; values: readonly string[] }, child: HistogramChild) {
    const out: string[] = [];
    let cumulative = 0;
    this.buckets.forEach((bound, index) => {
      cumulative += child.counts[index]!;
      out.push(`${this.name}_bucket${labelText(names, values, `le="${formatValue(bound)}"`)} ${cumulative}`);
    });
    out.push(`${this.name}_bucket${labelText(names, values, 'le="+Inf"')} ${child.count}`);
    out.push(`${this.name}_sum${labelText(names, values)} ${formatValue(child.sum)}`);
    out.push(`${this.name}_count${labelText(names, values)} ${child.count}`);
    return out;
  }
}

/** The metrics of one process, in registration order. */
export class Registry {
  readonly #metrics = new Map<string, Metric<unknown>>();

  #add<T extends Metric<unknown>>(metric: T): T {
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets));
  }

  /** The whole exposition, ending in a line feed as the format requires. */
  expose(): string {
    return [...this.#metrics.values()].map((metric) => metric.expose()).join("\n") + "\n";
  }
}
