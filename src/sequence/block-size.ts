// How many numbers a pod takes from a counter at once. A block should last about `targetSeconds` of this pod's
// traffic (TiDB aims at ~10 s): large enough that a burst never finds the buffer empty and that a database
// outage of that length goes unnoticed, small enough that a crash loses little. Leaf doubles or halves its
// step by how long the last one lasted; here the size follows the measured rate directly, with the change per
// block bounded so that one odd sample cannot swing it from the minimum to the maximum.

export interface BlockSizeBounds {
  min: number;
  max: number;
  /** Seconds of traffic one block should last. */
  targetSeconds: number;
}

/** A block grows at most this much per take (so a burst reaches a 100× block in four takes)... */
export const MAX_GROWTH = 4;
/** ...and shrinks at most this much: traffic that pauses for a moment does not throw the size away. */
export const MAX_SHRINK = 2;

/**
 * The size of the next block, from the current one: `used` numbers of it handed out in `elapsedMs`.
 * With no measurable time (a burst within a millisecond), the rate is taken as high.
 */
export function nextBlockSize(current: number, used: number, elapsedMs: number, bounds: BlockSizeBounds): number {
  const perSecond = used / Math.max(elapsedMs, 1) * 1000;
  const wanted = Math.round(perSecond * bounds.targetSeconds);
  const limited = Math.min(Math.max(wanted, Math.floor(current / MAX_SHRINK)), current * MAX_GROWTH);
  return Math.min(Math.max(limited, bounds.min), bounds.max);
}
