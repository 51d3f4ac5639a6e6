// Graphile Worker on PostgreSQL, in its fastest documented configuration: a local queue fetching
// jobs in batches and batched completion. Jobs are deleted when they succeed.
import pg from "pg";
import { Logger, makeWorkerUtils, run, runMigrations } from "graphile-worker";
import { concurrently, countdown, latencyRecorder, main, now, paced, pgUrl, timed, until } from "./common.mjs";

const schema = "bench_graphile";

// Its default logger writes a line per job; keep warnings and errors only, as a production setup would.
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") {
    process.stderr.write(`graphile-worker ${level}: ${message}\n`);
  }
});

async function reset() {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  await runMigrations({ connectionString: pgUrl, schema, logger });
}

async function utils() {
  return makeWorkerUtils({ connectionString: pgUrl, schema, logger });
}

async function remaining() {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${schema}._private_jobs`);
  await client.end();
  return rows[0].n;
}

function worker(concurrency, taskList) {
  return run({
    connectionString: pgUrl,
    schema,
    concurrency,
    maxPoolSize: concurrency + 1,
    noHandleSignals: true,
    logger,
    pollInterval: 1000,
    taskList,
    preset: { worker: { localQueue: { size: concurrency + 1 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  });
}

async function enqueueBatched({ jobs, batchSize }) {
  await reset();
  const u = await utils();
  const result = await timed(async () => {
    for (let i = 0; i < jobs; i += batchSize) {
      const n = Math.min(batchSize, jobs - i);
      await u.addJobs(Array.from({ length: n }, () => ({ identifier: "noop", payload: {} })));
    }
  });
  await u.release();
  return result;
}

async function enqueueSingly({ jobs, threads }) {
  await reset();
  const u = await utils();
  const result = await timed(() => concurrently(jobs, threads, () => u.addJob("noop", {})));
  await u.release();
  return result;
}

async function drain({ jobs, workers }) {
  await enqueueBatched({ jobs, batchSize: 1000 });
  const done = countdown(jobs);
  const start = now();
  const runner = await worker(workers, { noop: async () => done.tick() });
  await done.reached();
  await until(async () => (await remaining()) === 0);
  const nanos = Number(now() - start);
  await runner.stop();
  return { nanos };
}

async function latency({ jobs, perSecond }) {
  await reset();
  const recorder = latencyRecorder(jobs);
  const runner = await worker(16, { lat: async (payload) => recorder.record(payload.t) });
  const producer = await utils(); // another pool: another instance as far as the database knows
  await paced(jobs, perSecond, () => producer.addJob("lat", { t: now().toString() }));
  const result = await recorder.result();
  await producer.release();
  await runner.stop();
  return result;
}

await main({ enqueueBatched, enqueueSingly, drain, latency });
