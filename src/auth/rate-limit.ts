// Per-key rate limits: a token bucket per key, in this pod's memory. With N pods behind a load balancer a key
// gets up to N times its limit in total; sharing buckets through the database would cost a write per
// request, which the limit exists to prevent. Documented in README.md.

export interface RateLimit {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Takes one token from `name`'s bucket: 0 if allowed, else the seconds to wait (for Retry-After, at least 1). */
  take(name: string, limit: RateLimit): number {
    const now = this.#now();
    const bucket = this.#buckets.get(name) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
    bucket.at = now;
    this.#buckets.set(name, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
  }
}
