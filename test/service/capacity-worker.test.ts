// The service counts a type's capacity in a worker thread (src/rules/index.ts). A service that stops while a
// count is running must end that worker, not leave it computing (and keeping a test process alive).
import { expect, test } from "bun:test";
import { countCapacity } from "../../src/rules";

test("a capacity count in its worker answers the exact count of a small type", async () => {
  const counted = await countCapacity({ id_length: 5 });
  expect(counted).toMatchObject({ count: 3723n, exact: true });
});

test("aborting a running capacity count rejects at once and ends its worker", async () => {
  const stopping = new AbortController();
  // Length 10: an exact count that takes seconds, so it is surely still running when the abort comes.
  const counting = countCapacity({ id_length: 10 }, stopping.signal);
  await Bun.sleep(50);
  stopping.abort();
  await expect(counting).rejects.toThrow("capacity count aborted");
  await expect(countCapacity({ id_length: 10 }, stopping.signal)).rejects.toThrow("capacity count aborted");
});
