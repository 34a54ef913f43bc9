/**
 * Retries `check` (an assertion or a read) until it passes or `timeoutMs` runs out, then
 * rethrows its last error: for effects that arrive through queues and workers.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
