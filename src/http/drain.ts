// Graceful stop at the socket edge. Bun's server.stop(false) is documented to let requests in flight finish,
// but on Bun 1.4.5 it resets some of them (a request on a keep-alive connection whose handler is still
// awaiting is cut off: 25 of 40 in a plain Bun.serve experiment, and every in-flight issue on a pod stopped
// mid-load in test/failure/mixed-load.test.ts). So we drain ourselves: count requests in flight; once a stop
// begins, every answer says `Connection: close` (no client reuses that connection), wait until none is in
// flight (or the deadline), then close the server and whatever idle connections remain. While it drains
// (a tenth of a second once requests stop coming, about a second if they do not, at most half the stop
// deadline) the listener still accepts: on Kubernetes the pod has left the Service's endpoints by then, and
// a request that does arrive is served, not refused.
//
// "None in flight" is not enough when handlers answer synchronously (the issue route and /next do, while the
// buffer holds IDs): a request counts as in flight only while Bun runs its handler, so the count is 0 most of
// the time even under load, while requests the clients have sent still wait in the sockets, unread. Closing
// then reset them (3 to 30 of 40 in flight per stop in test/http/drain.test.ts; CI, 2026-12-06, 21 in
// test/failure/mixed-load.test.ts). So the drain also waits until no request has arrived for QUIET_MS.
// Requests stop coming once the pod has left the load balancer. A client that keeps sending to this pod
// anyway (test/sequence/restarts.test.ts does) would hold the drain until its deadline, and the close would
// then cut off whatever was in flight, numbers already taken included. So after QUIET_WAIT_MS of traffic
// the drain ends at the first moment no request is in flight, as it did before the quiet period: requests
// still unread in the sockets are then refused or reset, untouched, and the client retries them elsewhere.
import type { Server } from "bun";

/** The drain ends once no request has arrived for this long (and none is in flight): longer than it takes
 * the event loop to read what clients had sent before the stop. */
const QUIET_MS = 100;
/** How long the drain waits for the requests to stop coming before it settles for none in flight. */
const QUIET_WAIT_MS = 1000;

type Fetch = (request: Request, server: Server<undefined>) => Response | Promise<Response>;

export interface Drainable {
  /** The fetch handler to give Bun.serve. */
  fetch: Fetch;
  /** `handler` counted like fetch: for Bun.serve's route handlers (src/http/lane.ts), which bypass fetch. */
  wrap<R extends Request>(handler: (request: R, server: Server<undefined>) => Response | Promise<Response>): (request: R, server: Server<undefined>) => Response | Promise<Response>;
  /** Requests whose handler has not returned yet. */
  readonly inFlight: number;
  /**
   * From now on answers close their connections; resolves when no request is in flight and none has arrived
   * for QUIET_MS, or none is in flight after QUIET_WAIT_MS of continued traffic (true), or when `deadlineMs`
   * has passed (false if some are still running then).
   */
  drain(deadlineMs: number): Promise<boolean>;
}

export function drainable(handler: Fetch): Drainable {
  let inFlight = 0;
  /** Requests ever received: the drain watches it to tell when they stop arriving (a counter, not a clock
   * read: it is on every request's path). */
  let arrivals = 0;
  let draining = false;
  const closing = (response: Response): Response => {
    if (!draining) return response;
    try {
      response.headers.set("Connection", "close");
      return response;
    } catch {
      // Immutable headers (a Response from fetch() or Response.redirect): copy it.
      const copy = new Response(response.body, response);
      copy.headers.set("Connection", "close");
      return copy;
    }
  };
  const done = (response: Response) => {
    inFlight--;
    return closing(response);
  };
  const failed = (error: unknown) => {
    inFlight--;
    throw error;
  };
  const wrap = <R extends Request>(inner: (request: R, server: Server<undefined>) => Response | Promise<Response>) =>
    (request: R, server: Server<undefined>): Response | Promise<Response> => {
      inFlight++;
      arrivals++;
      let answer: Response | Promise<Response>;
      try {
        answer = inner(request, server);
      } catch (error) {
        return failed(error);
      }
      return answer instanceof Promise ? answer.then(done, failed) : done(answer);
    };
  return {
    fetch: wrap(handler),
    wrap,
    get inFlight() {
      return inFlight;
    },
    async drain(deadlineMs) {
      draining = true;
      const started = performance.now();
      const deadline = started + deadlineMs;
      const quietBy = started + Math.min(QUIET_WAIT_MS, deadlineMs);
      let seen = arrivals;
      let quietSince = started;
      for (;;) {
        const now = performance.now();
        if (arrivals !== seen) {
          seen = arrivals;
          quietSince = now;
        }
        if (inFlight === 0 && (now - quietSince >= QUIET_MS || now >= quietBy)) return true;
        if (now >= deadline) return inFlight === 0;
        await Bun.sleep(5);
      }
    },
  };
}
