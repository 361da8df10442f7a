// The queue benchmark's peer (bench/README.md, "queue"): graphile-worker 0.17 processing N no-op
// jobs against the bench cluster, timed the way the harness times sous's workers.
//
//   node run.mjs --url 'postgres://sous@localhost/graphile?host=/tmp/sock&port=5432' \
//     --jobs 20000 --concurrency 24 --local-queue 500 --complete-batch-delay 0 \
//     --fail-batch-delay 0 --timeout 120
//
// 1. graphile-worker's migrations, into a dedicated database; leftover jobs are deleted.
// 2. N jobs of task `noop` added in batches with `addJobs` (graphile_worker.add_jobs), then the
//    jobs table vacuumed and analysed (the harness does the same to task_queue).
// 3. The database's committed transactions are read (pg_stat_database.xact_commit, once every
//    other client has left, so the count is whole).
// 4. t0; `run()` starts one worker pool (concurrency, local queue, batched completion) with a
//    no-op task; a separate connection polls every `--poll-ms` whether any job is left
//    (graphile-worker deletes a job when it completes) until none is, or `--timeout` seconds
//    have passed; t1. The pool is stopped.
// 5. The committed transactions again: the difference, less this script's own, is what the
//    worker pool committed (fetches, completions). One line of JSON goes to stdout (logs, if
//    any, to stderr).
//
// Exit code 0 with `"complete": true` when every job was done in time; 0 with
// `"complete": false` when the timeout hit (the harness reports it); 1 when it cannot measure.

import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

import pg from "pg";
import { Logger, makeWorkerUtils, run, runMigrations } from "graphile-worker";
import { createRequire } from "node:module";

const workerVersion = createRequire(import.meta.url)("graphile-worker/package.json").version;

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    jobs: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "16" },
    // graphile-worker's batching (0.17): jobs fetched (and locked) per query into the pool's local
    // queue (-1: off, each worker fetches its own job), and the window in which completions are
    // gathered into one statement (-1: off, one statement per job).
    "local-queue": { type: "string", default: "-1" },
    "complete-batch-delay": { type: "string", default: "-1" },
    "fail-batch-delay": { type: "string", default: "-1" },
    "max-pool-size": { type: "string" },
    "add-batch": { type: "string", default: "1000" },
    "poll-ms": { type: "string", default: "10" },
    timeout: { type: "string", default: "120" },
  },
  strict: true,
});

const int = (name) => {
  const v = Number.parseInt(args[name], 10);
  if (!Number.isFinite(v)) throw new Error(`--${name} must be an integer, got ${args[name]}`);
  return v;
};

const connectionString = args.url;
if (!connectionString) {
  console.error("usage: node run.mjs --url <postgres connection string> [--jobs N] …");
  process.exit(1);
}
const jobs = int("jobs");
const concurrency = int("concurrency");
const localQueue = int("local-queue");
const completeBatchDelay = int("complete-batch-delay");
const failBatchDelay = int("fail-batch-delay");
// As graphile-worker's performance page sets it up (24 jobs, a pool of 25): one connection per
// job at once plus one (node-postgres's default pool is 10).
const maxPoolSize = args["max-pool-size"] ? int("max-pool-size") : concurrency + 1;
const addBatch = Math.max(1, int("add-batch"));
const pollMs = Math.max(1, int("poll-ms"));
const timeoutMs = int("timeout") * 1000;

// Quiet: warnings and errors to stderr, nothing else.
const logger = new Logger((scope) => (level, message) => {
  if (level === "error" || level === "warning") {
    console.error(`graphile-worker ${level}${scope.label ? ` [${scope.label}]` : ""}: ${message}`);
  }
});

const GRAPHILE_TASK = "noop";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// `xact_commit` of the graphile database once every other client has left it (a backend writes
// its statistics when it exits), and how many transactions the reading itself committed.
async function commits(deadline) {
  const c = new pg.Client({ connectionString, application_name: "bench-graphile-stats" });
  await c.connect();
  try {
    let own = 1;
    for (;;) {
      own += 1;
      const { rows } = await c.query(
        `select count(*)::int as n from pg_stat_activity where datname = current_database()
           and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      );
      if (rows[0].n === 0 || performance.now() > deadline) break;
      await sleep(10);
    }
    const { rows } = await c.query(
      "select xact_commit::bigint::text as n from pg_stat_database where datname = current_database()",
    );
    return [Number(rows[0].n), own];
  } finally {
    await c.end();
  }
}

async function main() {
  // Every step is bounded: the harness also kills this process when it overruns.
  const deadline = performance.now() + timeoutMs;

  await runMigrations({ connectionString, logger });

  const setup = new pg.Client({ connectionString, application_name: "bench-graphile-setup" });
  await setup.connect();
  let addS;
  try {
    await setup.query("delete from graphile_worker._private_jobs");
    const utils = await makeWorkerUtils({ connectionString, logger });
    const addStart = performance.now();
    try {
      for (let added = 0; added < jobs; added += addBatch) {
        const n = Math.min(addBatch, jobs - added);
        const specs = Array.from({ length: n }, () => ({ identifier: GRAPHILE_TASK, payload: {} }));
        await utils.addJobs(specs);
      }
    } finally {
      await utils.release();
    }
    addS = (performance.now() - addStart) / 1000;
    const { rows } = await setup.query("select count(*)::int as n from graphile_worker._private_jobs");
    if (rows[0].n !== jobs) throw new Error(`expected ${jobs} jobs queued, found ${rows[0].n}`);
    await setup.query("vacuum analyze graphile_worker._private_jobs");
  } finally {
    await setup.end();
  }
  const before = await commits(performance.now() + 30_000);

  const poll = new pg.Client({ connectionString, application_name: "bench-graphile-poll" });
  await poll.connect();
  let done = 0;
  let polls = 0;
  let finished = false;
  let t0;
  let t1;
  try {
    t0 = performance.now();
    const runner = await run({
      connectionString,
      logger,
      concurrency,
      maxPoolSize,
      noHandleSignals: true,
      pollInterval: 1000,
      taskList: {
        [GRAPHILE_TASK]: async () => {
          done += 1;
        },
      },
      preset: {
        worker: {
          localQueue: { size: localQueue },
          completeJobBatchDelay: completeBatchDelay,
          failJobBatchDelay: failBatchDelay,
        },
      },
    });
    try {
      while (performance.now() < deadline) {
        // graphile-worker deletes a job when it completes. The primary key, read in order, skips
        // the deleted ones cheaply; nothing scans the whole table.
        const { rows } = await poll.query(
          "select exists (select 1 from graphile_worker._private_jobs order by id limit 1) as left",
        );
        polls += 1;
        if (!rows[0].left) {
          finished = true;
          break;
        }
        await sleep(pollMs);
      }
    } finally {
      t1 = performance.now();
      // Finishes the jobs in flight and returns the local queue's jobs; bounded like the rest.
      await Promise.race([runner.stop(), sleep(10_000)]);
    }
  } finally {
    await poll.end();
  }
  const after = await commits(performance.now() + 30_000);

  const check = new pg.Client({ connectionString, application_name: "bench-graphile-check" });
  await check.connect();
  let left;
  try {
    const { rows } = await check.query("select count(*)::int as n from graphile_worker._private_jobs");
    left = finished ? 0 : rows[0].n;
  } finally {
    await check.end();
  }
  const elapsedS = (t1 - t0) / 1000;
  const processed = jobs - left;
  const workerCommits = Math.max(0, after[0] - before[0] - before[1] - polls);
  const result = {
    peer: "graphile-worker",
    graphile_worker: workerVersion,
    node: process.versions.node,
    jobs,
    processed,
    handler_runs: done,
    complete: finished,
    concurrency,
    local_queue_size: localQueue,
    complete_job_batch_delay_ms: completeBatchDelay,
    fail_job_batch_delay_ms: failBatchDelay,
    max_pool_size: maxPoolSize,
    add_s: addS,
    elapsed_s: elapsedS,
    jobs_per_s: processed / elapsedS,
    polls,
    poll_ms: pollMs,
    commits: workerCommits,
    commits_per_job: workerCommits / jobs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench/graphile: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
