// JSON text of a range of consecutive integers, built for speed: /range answers up to 100,000 numbers, and
// converting each to a string is most of its cost. Consecutive numbers share everything but their last three
// digits, so each thousand costs one conversion of the shared head plus a table lookup per number (about
// 5× faster than String(n) per number on Bun). Works on bigint, so it is exact to 2^63 - 1.

const LAST_THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** `[first,first+1,…]` with `count` numbers, as JSON numbers or (quoted) strings. first ≥ 0. */
export function renderRange(first: bigint, count: number, quoted: boolean): string {
  const parts = new Array<string>(count);
  let high = first / 1000n;
  let low = Number(first % 1000n);
  for (let i = 0; i < count; high++, low = 0) {
    const end = Math.min(count, i + 1000 - low);
    if (high === 0n) {
      for (; i < end; i++, low++) parts[i] = String(low);
    } else {
      const head = high.toString();
      for (; i < end; i++, low++) parts[i] = head + LAST_THREE[low];
    }
  }
  return quoted ? `["${parts.join('","')}"]` : `[${parts.join(",")}]`;
}
