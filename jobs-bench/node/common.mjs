// What every peer script shares: its command line, the servers, pacing and the one line of JSON
// each run prints for jobs-bench (Java) to read. Usage: node <peer>.mjs <op> '<json args>'.
//   enqueueBatched {jobs, batchSize} -> {nanos}
//   enqueueSingly  {jobs, threads}   -> {nanos}   (threads = calls in flight at once)
//   drain          {jobs, workers}   -> {nanos}
//   latency        {jobs, perSecond} -> {count, p50, p95, p99, max} in ms; the first tenth not counted

export const pgUrl = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const redisUrl = new URL(process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379");
export const patienceMs = 10 * 60 * 1000;

export const now = () => process.hrtime.bigint();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the op the command line names with the given peer's implementation, printing its result. */
export async function main(peer) {
  const [op, json] = process.argv.slice(2);
  const args = JSON.parse(json ?? "{}");
  if (!peer[op]) {
    throw new Error(`no op '${op}'; ops: ${Object.keys(peer).join(", ")}`);
  }
  const result = await peer[op](args);
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

/** Times an async body in nanoseconds. */
export async function timed(body) {
  const start = now();
  await body();
  return { nanos: Number(now() - start) };
}

/** Runs `count` calls of `call(i)` with at most `inFlight` of them under way at once. */
export async function concurrently(count, inFlight, call) {
  let next = 0;
  const lanes = Array.from({ length: inFlight }, async () => {
    for (let i = next++; i < count; i = next++) {
      await call(i);
    }
  });
  await Promise.all(lanes);
}

/** Calls `send(i)` for i < jobs at a steady rate, each at its slot in time. */
export async function paced(jobs, perSecond, send) {
  const periodNs = 1_000_000_000n / BigInt(perSecond);
  let slot = now();
  for (let i = 0; i < jobs; i++) {
    const waitMs = Number(slot - now()) / 1e6;
    if (waitMs > 0) {
      await sleep(waitMs);
    }
    slot += periodNs;
    await send(i);
  }
}

/** Collects enqueue→start times; the first tenth warm up and are not counted. */
export function latencyRecorder(jobs) {
  const samples = [];
  let seen = 0;
  let resolveAll;
  const all = new Promise((resolve) => (resolveAll = resolve));
  return {
    record(sentAtNs) {
      const tookMs = Number(now() - BigInt(sentAtNs)) / 1e6;
      if (seen++ >= Math.floor(jobs / 10)) {
        samples.push(tookMs);
      }
      if (seen === jobs) {
        resolveAll();
      }
    },
    async result() {
      await withPatience(all, `${jobs - seen} of ${jobs} jobs never started`);
      samples.sort((a, b) => a - b);
      const at = (p) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
      return { count: samples.length, p50: at(50), p95: at(95), p99: at(99), max: samples[samples.length - 1] };
    },
  };
}

/** A counter that resolves once it reaches `target`. */
export function countdown(target) {
  let count = 0;
  let resolveAll;
  const reached = new Promise((resolve) => (resolveAll = resolve));
  return {
    tick(n = 1) {
      count += n;
      if (count >= target) {
        resolveAll();
      }
    },
    reached: () => withPatience(reached, `only ${count} of ${target} jobs ran`),
  };
}

/** Waits for a promise, failing the run if it takes longer than the benchmarks allow. */
export async function withPatience(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} after ${patienceMs / 60000} minutes`)), patienceMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns true. */
export async function until(check, everyMs = 2) {
  while (!(await check())) {
    await sleep(everyMs);
  }
}
