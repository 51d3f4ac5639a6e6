// BullMQ on Redis: a Worker with the given concurrency; completed jobs are kept (its default).
import { Queue, Worker } from "bullmq";
import { concurrently, countdown, latencyRecorder, main, now, paced, redisUrl, timed, until } from "./common.mjs";

const prefix = "jobsbench-bullmq";
const name = "bench";
const connection = () => ({
  host: redisUrl.hostname,
  port: Number(redisUrl.port || 6379),
  maxRetriesPerRequest: null,
});

async function queue() {
  return new Queue(name, { connection: connection(), prefix });
}

async function reset() {
  const q = await queue();
  await q.obliterate({ force: true });
  await q.close();
}

function worker(concurrency, handle) {
  return new Worker(name, async (job) => handle(job.data), { connection: connection(), prefix, concurrency });
}

async function enqueueBatched({ jobs, batchSize }) {
  await reset();
  const q = await queue();
  const result = await timed(async () => {
    for (let i = 0; i < jobs; i += batchSize) {
      const n = Math.min(batchSize, jobs - i);
      await q.addBulk(Array.from({ length: n }, () => ({ name: "noop", data: {} })));
    }
  });
  await q.close();
  return result;
}

async function enqueueSingly({ jobs, threads }) {
  await reset();
  const q = await queue();
  const result = await timed(() => concurrently(jobs, threads, () => q.add("noop", {})));
  await q.close();
  return result;
}

async function drain({ jobs, workers }) {
  await enqueueBatched({ jobs, batchSize: 1000 });
  const q = await queue();
  const done = countdown(jobs);
  const start = now();
  const w = worker(workers, () => done.tick());
  await done.reached();
  await until(async () => (await q.getCompletedCount()) >= jobs);
  const nanos = Number(now() - start);
  await w.close();
  await q.close();
  return { nanos };
}

async function latency({ jobs, perSecond }) {
  await reset();
  const recorder = latencyRecorder(jobs);
  const w = worker(16, (data) => recorder.record(data.t));
  await w.waitUntilReady();
  const producer = await queue(); // its own connection
  await paced(jobs, perSecond, () => producer.add("lat", { t: now().toString() }));
  const result = await recorder.result();
  await producer.close();
  await w.close();
  return result;
}

await main({ enqueueBatched, enqueueSingly, drain, latency });
