// API keys: who a request comes from and what it may do. Keys come from IDGEN_API_KEYS (name:secret,...)
// and the config file's `keys` section (scopes, ID types, a rate limit, and a secret or only its sha256).
// Only sha256 digests are kept in memory; a presented secret is hashed and compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";

export const SCOPES = ["issue", "lookup", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface KeyDefinition {
  readonly name: string;
  /** sha256 of the secret, 32 bytes. */
  readonly digest: Buffer;
  /** What the key may do; `admin` may do everything. */
  readonly scopes: readonly Scope[];
  /** The ID types it may touch; null: every type. */
  readonly idTypes: readonly string[] | null;
  /** Requests per second and burst; null: unlimited. */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number } | null;
}

/** The caller of a request once authenticated: a key's name, or `anonymous` when the service runs open. */
export interface Caller {
  readonly name: string;
  readonly key: KeyDefinition | null;
}

export const ANONYMOUS: Caller = Object.freeze({ name: "anonymous", key: null });

export const sha256 = (secret: string): Buffer => createHash("sha256").update(secret, "utf8").digest();

export type Authentication = { caller: Caller } | { problem: "missing" | "invalid" };

export class KeyRing {
  readonly #keys: readonly KeyDefinition[];

  constructor(keys: readonly KeyDefinition[]) {
    this.#keys = keys;
  }

  /** No key configured: the service runs open and every caller is anonymous. */
  get open(): boolean {
    return this.#keys.length === 0;
  }

  get names(): string[] {
    return this.#keys.map((key) => key.name);
  }

  /**
   * The caller of an `Authorization` header value. Every key's digest is compared, in constant time, whatever
   * matched earlier: how long this takes says nothing about which key, or how much of one, was right.
   */
  authenticate(header: string | undefined): Authentication {
    if (this.open) return { caller: ANONYMOUS };
    const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match) return { problem: "missing" };
    const presented = sha256(match[1]!);
    let found: KeyDefinition | null = null;
    for (const key of this.#keys) {
      if (timingSafeEqual(presented, key.digest) && found === null) found = key;
    }
    return found ? { caller: { name: found.name, key: found } } : { problem: "invalid" };
  }
}

/** Whether the caller may use `scope` (on `idType`, when the request names one). */
export function permits(caller: Caller, scope: Scope | null, idType?: string): "ok" | "scope" | "type" {
  const key = caller.key;
  if (!key) return "ok";
  if (scope !== null && !key.scopes.includes(scope) && !key.scopes.includes("admin")) return "scope";
  if (idType !== undefined && key.idTypes !== null && !key.idTypes.includes(idType)) return "type";
  return "ok";
}
