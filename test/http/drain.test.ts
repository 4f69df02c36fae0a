// The drain at the socket edge (src/http/drain.ts), on a real Bun server and real connections: requests in
// flight when a stop begins are all answered, none reset, and the connections they used are closed after.
import { expect, test } from "bun:test";
import { drainable } from "../../src/http/drain";

test("a stop mid-load answers every request in flight and resets none", async () => {
  const edge = drainable(async (request) => {
    const ms = Number(new URL(request.url).searchParams.get("ms"));
    if (ms > 0) await Bun.sleep(ms);
    return new Response("ok");
  });
  const server = Bun.serve({ port: 0, fetch: edge.fetch });
  let answered = 0;
  let lastConnectionHeader = null as string | null;
  const problems: string[] = [];
  let sending = true;
  const clients = Array.from({ length: 40 }, async (_, client) => {
    while (sending) {
      try {
        const res = await fetch(`${server.url.href}?ms=${client % 3 === 0 ? 50 : 0}`);
        expect(await res.text()).toBe("ok");
        lastConnectionHeader = res.headers.get("connection");
        answered++;
      } catch (error) {
        problems.push(String(error));
      }
    }
  });
  await Bun.sleep(300);
  sending = false; // the load balancer sends no more; what was sent is in flight
  const inFlightAtStop = edge.inFlight;
  expect(await edge.drain(5_000)).toBe(true);
  await server.stop(true);
  await Promise.all(clients);
  expect(problems).toEqual([]);
  expect(inFlightAtStop).toBeGreaterThan(0); // the test did stop mid-load
  expect(answered).toBeGreaterThan(40);
  expect(lastConnectionHeader).toBe("close"); // answers during the drain close their connections
});

test("a synchronous handler (the issue route's fast path): stops mid-load answer every request sent, reset none", async () => {
  // Requests are in flight only while their handler runs, which is never across an await here: the count is 0
  // while sent requests still wait unread in the sockets. Three stops, each with 40 clients mid-request.
  for (let round = 0; round < 3; round++) {
    const edge = drainable(() => new Response("ok"));
    const server = Bun.serve({ port: 0, fetch: edge.fetch });
    const problems: string[] = [];
    let sending = true;
    let answered = 0;
    const clients = Array.from({ length: 40 }, async () => {
      while (sending) {
        try {
          const res = await fetch(server.url.href);
          expect(await res.text()).toBe("ok");
          answered++;
        } catch (error) {
          problems.push(String(error));
        }
      }
    });
    await Bun.sleep(200);
    sending = false; // each client has one request out; none sends another after its answer
    expect(await edge.drain(5_000)).toBe(true);
    await server.stop(true);
    await Promise.all(clients);
    expect(problems).toEqual([]);
    expect(answered).toBeGreaterThan(40);
  }
});

test("clients that keep sending to a stopping pod: the drain settles for none in flight after a second", async () => {
  // Mostly synchronous answers (as /next gives), some after an await: moments with none in flight come often.
  const edge = drainable((request) => (request.url.endsWith("?slow") ? Bun.sleep(2).then(() => new Response("ok")) : new Response("ok")));
  const server = Bun.serve({ port: 0, fetch: edge.fetch });
  let sending = true;
  const clients = Array.from({ length: 20 }, async (_, client) => {
    while (sending) await fetch(`${server.url.href}${client % 5 === 0 ? "?slow" : ""}`).then((res) => res.text(), () => Bun.sleep(5));
  });
  await Bun.sleep(100);
  const started = performance.now();
  expect(await edge.drain(5_000)).toBe(true);
  const took = performance.now() - started;
  expect(edge.inFlight).toBe(0); // it ends at a moment nothing is in flight, so nothing taken is cut off
  expect(took).toBeLessThan(4_000); // not held until the deadline by traffic that never stops
  sending = false;
  await server.stop(true);
  await Promise.all(clients);
}, 15_000);

test("a handler that throws is counted out of flight, and the error reaches Bun", async () => {
  const edge = drainable(() => {
    throw new Error("boom");
  });
  const server = Bun.serve({ port: 0, fetch: edge.fetch, error: () => new Response("handled", { status: 500 }) });
  const res = await fetch(server.url.href);
  expect(res.status).toBe(500);
  expect(edge.inFlight).toBe(0);
  await server.stop(true);
});
