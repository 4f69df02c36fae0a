// Graceful stop at the socket edge. Bun's server.stop(false) is documented to let requests in flight finish,
// but on Bun 1.4.5 it resets some of them (a request on a keep-alive connection whose handler is still
// awaiting is cut off: 25 of 40 in a plain Bun.serve experiment, and every in-flight issue on a pod stopped
// mid-load in test/failure/mixed-load.test.ts). So we drain ourselves: count requests in flight; once a stop
// begins, every answer says `Connection: close` (no client reuses that connection), wait until none is in
// flight (or the deadline), then close the server and whatever idle connections remain. While it drains
// (milliseconds, at most half the stop deadline) the listener still accepts: on Kubernetes the pod has left
// the Service's endpoints by then, and a request that does arrive is served, not refused.
import type { Server } from "bun";

type Fetch = (request: Request, server: Server<undefined>) => Response | Promise<Response>;

export interface Drainable {
  /** The fetch handler to give Bun.serve. */
  fetch: Fetch;
  /** Requests whose handler has not returned yet. */
  readonly inFlight: number;
  /**
   * From now on answers close their connections; resolves when no request is in flight (true) or when
   * `deadlineMs` has passed with some still running (false).
   */
  drain(deadlineMs: number): Promise<boolean>;
}

export function drainable(handler: Fetch): Drainable {
  let inFlight = 0;
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
  return {
    fetch(request, server) {
      inFlight++;
      let answer: Response | Promise<Response>;
      try {
        answer = handler(request, server);
      } catch (error) {
        return failed(error);
      }
      return answer instanceof Promise ? answer.then(done, failed) : done(answer);
    },
    get inFlight() {
      return inFlight;
    },
    async drain(deadlineMs) {
      draining = true;
      const deadline = performance.now() + deadlineMs;
      while (inFlight > 0 && performance.now() < deadline) await Bun.sleep(5);
      return inFlight === 0;
    },
  };
}
