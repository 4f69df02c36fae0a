// How a type's pool and buffers are sized from its capacity. Small spaces are handled one ID at a time so
// that exhaustion is exact: every valid ID issued once, and no pod holding IDs while another answers 410.

/** Types with at most this many valid IDs (exactly counted) are small: length 5 and below with the defaults. */
export const SMALL_TYPE_MAX = 100_000n;

export function isSmallType(capacity: { count: bigint; exact: boolean }): boolean {
  return capacity.exact && capacity.count <= SMALL_TYPE_MAX;
}

export interface PoolSizes {
  /** IDs per pool_chunk row (what one claim row holds). */
  chunkSize: number;
  /** IDs a pod claims into memory at once. */
  bufferSize: number;
  /** A pod claims again when fewer than this remain in memory. */
  lowWater: number;
  /** The mark may rise and claims grow with demand (src/pool/buffer.ts); not for one-ID claims, which claim on demand only. */
  adaptive: boolean;
  /** Most IDs a pod claims at once under load (whole chunks; the buffer never claims fewer than bufferSize). */
  maxClaim: number;
}

/** Small types claim one ID per request straight from the pool; the others use the configured buffers. */
export function poolSizes(capacity: { count: bigint; exact: boolean }, configured: { bufferSize: number; lowWater: number; bufferMax?: number }): PoolSizes {
  if (isSmallType(capacity)) return { chunkSize: 1, bufferSize: 1, lowWater: 0, adaptive: false, maxClaim: 1 };
  const { bufferSize, lowWater } = configured;
  return { chunkSize: bufferSize, bufferSize, lowWater, adaptive: bufferSize > 1, maxClaim: configured.bufferMax ?? bufferSize };
}
