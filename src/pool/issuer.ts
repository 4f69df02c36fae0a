// The configured ID types of this pod: their rules (validation) and their pools (issuance). What the HTTP
// edge calls; it knows nothing of HTTP.
import type { Rules, Validation } from "../../wasm/index.js";
import type { BatchResult, IssueResult, TypePool } from "./pool";

export interface IdTypeRuntime {
  readonly name: string;
  readonly idLength: number;
  readonly rules: Rules;
  readonly pool: TypePool;
}

export class IdIssuer {
  readonly #types: Map<string, IdTypeRuntime>;

  constructor(types: Iterable<IdTypeRuntime>) {
    this.#types = new Map([...types].map((type) => [type.name, type]));
  }

  has(name: string): boolean {
    return this.#types.has(name);
  }

  types(): IdTypeRuntime[] {
    return [...this.#types.values()];
  }

  /** The next ID of a configured type (the caller checks has() first). */
  issue(name: string): Promise<IssueResult> {
    return this.#get(name).pool.issue();
  }

  /** The next ID of a configured type if this pod's buffer holds one now, else undefined (then use issue()). */
  issueNow(name: string): string | undefined {
    return this.#get(name).pool.issueNow();
  }

  /** `count` IDs of a configured type at once, or none (see TypePool.issueMany). */
  issueMany(name: string, count: number): Promise<BatchResult> {
    return this.#get(name).pool.issueMany(count);
  }

  validate(name: string, id: string): Validation {
    return this.#get(name).rules.validate(id);
  }

  /** IDs held in this pod's buffers, by type. */
  buffered(): Record<string, number> {
    return Object.fromEntries(this.types().map((type) => [type.name, type.pool.buffered]));
  }

  /** Graceful stop: returns every buffered ID to its pool. Resolves to how many went back. */
  async close(): Promise<number> {
    const returned = await Promise.all(this.types().map((type) => type.pool.close()));
    return returned.reduce((sum, count) => sum + count, 0);
  }

  #get(name: string): IdTypeRuntime {
    const type = this.#types.get(name);
    if (!type) throw new Error(`unknown ID type ${name}`);
    return type;
  }
}
