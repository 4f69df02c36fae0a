import { expect, test } from "bun:test";
import { isClosedSocketWrite } from "./connection-errors";

function errorWith(type: ErrorConstructor, message: string, stackLine: string): Error {
  const error = new type(message);
  error.stack = `${type.name}: ${message}\n    at ${stackLine}`;
  return error;
}

test("recognises postgres.js's write on a closed socket, in Bun's and Node's wording", () => {
  expect(isClosedSocketWrite(errorWith(TypeError, "null is not an object (evaluating 'socket.write')", "nextWrite (/app/node_modules/postgres/src/connection.js:255:15)"))).toBe(true);
  expect(isClosedSocketWrite(errorWith(TypeError, "Cannot read properties of null (reading 'write')", "nextWrite (C:\\app\\node_modules\\postgres\\src\\connection.js:255:15)"))).toBe(true);
});

test("nothing else: the same message elsewhere, other errors from postgres.js, other types", () => {
  expect(isClosedSocketWrite(errorWith(TypeError, "null is not an object (evaluating 'socket.write')", "send (/app/src/http/app.ts:10:3)"))).toBe(false);
  expect(isClosedSocketWrite(errorWith(TypeError, "undefined is not a function", "x (/app/node_modules/postgres/src/connection.js:1:1)"))).toBe(false);
  expect(isClosedSocketWrite(errorWith(Error, "null is not an object (evaluating 'socket.write')", "nextWrite (/app/node_modules/postgres/src/connection.js:255:15)"))).toBe(false);
  expect(isClosedSocketWrite("socket.write")).toBe(false);
});
