// pg-boss on PostgreSQL: workers fetch in batches of up to 100, keep fetching while batches come
// back full, and hear of new jobs through LISTEN/NOTIFY. Completed jobs stay in its tables.
import pg from "pg";
import { PgBoss } from "pg-boss";
import { concurrently, countdown, latencyRecorder, main, now, paced, pgUrl, timed, until } from "./common.mjs";

const schema = "bench_pgboss";
const queue = "bench";

async function reset() {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

async function boss() {
  const b = new PgBoss({ connectionString: pgUrl, schema, useListenNotify: true });
  b.on("error", (e) => process.stderr.write(`pg-boss: ${e.stack ?? e}\n`));
  await b.start();
  await b.createQueue(queue, { notify: true });
  return b;
}

async function completed() {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${schema}.job WHERE name = $1 AND state = 'completed'`, [queue]);
  await client.end();
  return rows[0].n;
}

async function work(b, workers, handle) {
  const batchSize = Math.min(100, workers);
  await b.work(
    queue,
    { batchSize, localConcurrency: Math.ceil(workers / batchSize), pollingIntervalSeconds: 0.5, burstWhenBatchFull: true },
    async (jobs) => {
      for (const job of jobs) {
        handle(job.data);
      }
    },
  );
}

async function enqueueBatched({ jobs, batchSize }) {
  await reset();
  const b = await boss();
  const result = await timed(async () => {
    for (let i = 0; i < jobs; i += batchSize) {
      const n = Math.min(batchSize, jobs - i);
      await b.insert(queue, Array.from({ length: n }, () => ({ data: {} })));
    }
  });
  await b.stop({ graceful: false });
  return result;
}

async function enqueueSingly({ jobs, threads }) {
  await reset();
  const b = await boss();
  const result = await timed(() => concurrently(jobs, threads, () => b.send(queue, {})));
  await b.stop({ graceful: false });
  return result;
}

async function drain({ jobs, workers }) {
  await enqueueBatched({ jobs, batchSize: 1000 });
  const b = await boss();
  const done = countdown(jobs);
  const start = now();
  await work(b, workers, () => done.tick());
  await done.reached();
  await until(async () => (await completed()) >= jobs);
  const nanos = Number(now() - start);
  await b.stop({ graceful: false });
  return { nanos };
}

async function latency({ jobs, perSecond }) {
  await reset();
  const recorder = latencyRecorder(jobs);
  const worker = await boss();
  await work(worker, 16, (data) => recorder.record(data.t));
  const producer = await boss(); // another pool: another instance as far as the database knows
  await paced(jobs, perSecond, () => producer.send(queue, { t: now().toString() }));
  const result = await recorder.result();
  await producer.stop({ graceful: false });
  await worker.stop({ graceful: false });
  return result;
}

await main({ enqueueBatched, enqueueSingly, drain, latency });
