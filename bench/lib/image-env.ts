// The environment the container image gives the service beyond its own settings (the Dockerfile's runtime
// ENV), so that benchmarks start the service as the image runs it. test/ops/dockerfile.test.ts checks that
// the Dockerfile sets exactly these values.
export const IMAGE_RUNTIME_ENV: Readonly<Record<string, string>> = {
  // Bun's allocator keeps freed memory rather than purging it after 100 ms: bench/memory.bench.ts.
  MIMALLOC_PURGE_DELAY: "-1",
};
