// The sequential API's OpenAPI definitions (for /openapi.json and /docs/). The handlers in routes.ts check
// their parameters by hand, so these schemas document the API; they do not run on requests.
import { createRoute, z } from "@hono/zod-openapi";

const SequenceError = z
  .object({ code: z.string().openapi({ example: "SEQ-002" }), message: z.string() })
  .openapi("SequenceError");
const error = (description: string) => ({ description, content: { "application/json": { schema: SequenceError } } });
const counterName = z.string().openapi({ param: { name: "name", in: "path" }, example: "case_number", description: "a counter declared in the config file (sequences.counters)" });
const format = z.enum(["number", "string"]).optional().openapi({
  param: { name: "format", in: "query" },
  description: "`number` (default): JSON numbers, refused (SEQ-004) above 2^53 - 1, where many JSON readers lose digits. `string`: decimal strings, exact to 2^63 - 1.",
});
const ORDERING =
  "In `prefetch` mode (the default) each pod hands out numbers from blocks it takes from the counter: unique across pods, increasing per pod, not across pods; a pod that stops without giving its block back leaves a gap. In `strict` mode every number is larger than every number handed out before it, anywhere.";

const isNamed = (path: string) => path.startsWith("/counters/");
const errors = (path: string) => ({
  ...(isNamed(path) ? { 404: error("SEQ-001: no such counter") } : {}),
  405: error("SEQ-006: wrong method (HEAD is refused too: it would use up a number)"),
  410: error("SEQ-003: the counter is past its maximum (or has fewer numbers left than asked)"),
  422: error("SEQ-002: a malformed parameter; SEQ-004: the number would pass 2^53 - 1, ask with ?format=string"),
  503: error("SEQ-005: no number in memory and the database does not answer; retry (Retry-After)"),
});

export const nextRoute = (path: string) =>
  createRoute({
    method: "get",
    path,
    tags: ["sequences"],
    summary: isNamed(path) ? "Next number of a named counter" : "Next number of the default counter",
    description: ORDERING,
    request: { params: isNamed(path) ? z.object({ name: counterName }) : undefined, query: z.object({ format }) },
    responses: {
      200: { description: "A bare JSON number (or string)", content: { "application/json": { schema: z.union([z.number().int(), z.string()]).openapi({ example: 1042 }) } } },
      ...errors(path),
    },
  });

export const rangeRoute = (path: string) =>
  createRoute({
    method: "get",
    path,
    tags: ["sequences"],
    summary: isNamed(path) ? "Consecutive numbers of a named counter" : "Consecutive numbers of the default counter",
    description: `count consecutive numbers, never handed out to anyone else: taken from this pod's block when they fit in it, else straight from the counter. ${ORDERING}`,
    request: {
      params: isNamed(path) ? z.object({ name: counterName }) : undefined,
      query: z.object({ count: z.string().openapi({ param: { name: "count", in: "query", required: true }, example: "3", description: "1 to 100000" }), format }),
    },
    responses: {
      200: { description: "A JSON array of count consecutive integers", content: { "application/json": { schema: z.array(z.union([z.number().int(), z.string()])).openapi({ example: [1043, 1044, 1045] }) } } },
      ...errors(path),
    },
  });

export const stateRoute = createRoute({
  method: "get",
  path: "/counters/{name}",
  tags: ["sequences"],
  summary: "A counter's state",
  description: "Numbers as decimal strings (64-bit). `last_value`: the last number any pod has taken from the counter (numbers pods still hold in memory are below it). `returned`: numbers below it that stopped pods held and did not hand out, waiting for the next block takes. `pod`: what the answering pod holds, and how many numbers its block takes have taken from those returned.",
  request: { params: z.object({ name: counterName }) },
  responses: {
    200: {
      description: "The counter",
      content: {
        "application/json": {
          schema: z.object({
            name: z.string(), mode: z.enum(["prefetch", "strict"]), start: z.string().nullable(), max: z.string().nullable(),
            last_value: z.string().nullable(), updated_at: z.string().nullable(), returned: z.string().nullable(),
            pod: z.object({ buffered: z.string(), block_size: z.number(), reused: z.string() }),
          }).openapi("CounterState"),
        },
      },
    },
    404: error("SEQ-001: no such counter"),
    422: error("SEQ-002: not a counter name"),
  },
});
