// Pod leases: how the pods of one database know which of them are alive. Each service process keeps a row in
// pod_lease fresh; chunks claimed by a pod whose row is stale (or gone) are the leftovers of a crash, wasted
// by design (that pod may have handed some of them out before it died, and nobody can tell which).
//
// Why a lease and not session advisory locks: a lock dies with its connection, so a short database restart
// would make every live pod look dead at once. A lease survives blips shorter than itself.
import type { Sql } from "postgres";
import type { Log } from "./pool";

/** A pod not seen for this long is gone (config pod_lease_seconds). It renews six times per lease, so a pause
 * or a slow database has to last five renewals before a live pod looks dead. */
export const LEASE_SECONDS = 30;
const RENEWALS_PER_LEASE = 6;
/** Rows of pods gone this long are deleted (their claims, if any, stay countable as waste). */
const FORGET_AFTER = "7 days";

export async function renewLease(sql: Sql, pod: string): Promise<void> {
  await sql`
    insert into pod_lease (pod) values (${pod})
    on conflict (pod) do update set seen_at = now()`;
}

export async function dropLease(sql: Sql, pod: string): Promise<void> {
  await sql`delete from pod_lease where pod = ${pod}`;
}

/** Renews `pod`'s lease now and six times per lease until stopped; failures are logged and retried. */
export async function startHeartbeat(sql: Sql, pod: string, log: Log, leaseSeconds = LEASE_SECONDS): Promise<{ stop(): Promise<void> }> {
  await renewLease(sql, pod);
  let failing = false;
  const timer = setInterval(() => {
    renewLease(sql, pod)
      .then(async () => {
        if (failing) log({ level: "info", msg: "pod lease renewed again", pod });
        failing = false;
        await sql`delete from pod_lease where seen_at < now() - ${FORGET_AFTER}::interval`;
      })
      .catch((error) => {
        if (!failing) log({ level: "warn", msg: "pod lease renewal failed; retrying", pod, leaseSeconds, error: String(error) });
        failing = true;
      });
  }, (leaseSeconds * 1000) / RENEWALS_PER_LEASE);
  timer.unref?.();
  return {
    async stop() {
      clearInterval(timer);
      await dropLease(sql, pod).catch(() => undefined);
    },
  };
}
