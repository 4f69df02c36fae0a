// Timing helpers shared by the Bun benchmark and its Node child (plain JS so both runtimes load the same file):
// the machine, a CPU speed probe, timed runs and medians.
import os from "node:os";

/** What ran the benchmark: the CPU speed of these machines drifts, so the figures mean little without it. */
export function machine() {
  const cpus = os.cpus();
  const bun = globalThis.process?.versions?.bun;
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? "unknown",
    runtime: bun ? "bun" : "node",
    version: bun ?? process.versions.node,
    platform: `${os.platform()} ${os.arch()}`,
  };
}

const PROBE_STEPS = 20_000_000;

/** Milliseconds a fixed integer loop takes: the same work every time, so it tracks the CPU's current speed. */
export function cpuProbe() {
  const start = performance.now();
  let hash = 0;
  for (let i = 0; i < PROBE_STEPS; i++) hash = (Math.imul(hash, 31) + i) | 0;
  const elapsed = performance.now() - start;
  if (hash === 42) console.error("probe hash collided"); // keeps the loop observable
  return Math.round(elapsed * 10) / 10;
}

/**
 * Times run(), which processes `items` things and returns how many were valid (consumed, so no engine can
 * drop the work). Returns the sample the reports are built from.
 */
export function timeItems(items, run) {
  const start = performance.now();
  const valid = run();
  const seconds = (performance.now() - start) / 1000;
  return { items, seconds, rate: items / seconds, valid };
}

/** Calls step() until `seconds` have passed (at least once); step returns how many items it produced. */
export function timeBoxed(seconds, step) {
  const start = performance.now();
  let items = 0;
  let calls = 0;
  let elapsed = 0;
  do {
    items += step();
    calls++;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < seconds);
  return { items, seconds: elapsed, rate: items / elapsed, calls };
}

export function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
