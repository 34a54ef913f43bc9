/**
 * `npm run seed -- --users N --avg-follows F --celebrities C --posts-per-user P
 *   [--active-share 0.2] [--private-share 0.05] [--seed 1]`
 * Fills the empty deployment named by this environment (DATABASE_URL, REDIS_URL, DATA_DIR or S3_*,
 * as the servers read it) and writes what it made, with its timings, to bench/results/seed.json.
 */
import { arg, machine, writeResults } from '../common.js';
import { DEFAULT_OPTIONS, seedGraph, type SeedOptions } from './index.js';

const options: SeedOptions = {
  users: arg('users', DEFAULT_OPTIONS.users),
  avgFollows: arg('avg-follows', DEFAULT_OPTIONS.avgFollows),
  celebrities: arg('celebrities', DEFAULT_OPTIONS.celebrities),
  postsPerUser: arg('posts-per-user', DEFAULT_OPTIONS.postsPerUser),
  activeShare: arg('active-share', DEFAULT_OPTIONS.activeShare),
  privateShare: arg('private-share', DEFAULT_OPTIONS.privateShare),
  seed: arg('seed', DEFAULT_OPTIONS.seed),
};
const bad = Object.entries(options).filter(([, v]) => !Number.isFinite(v) || v < 0);
if (bad.length > 0 || options.users < 2 || options.activeShare > 1 || options.privateShare > 1) {
  console.error(`seed: bad options ${JSON.stringify(options)}`);
  process.exit(2);
}
try {
  const manifest = await seedGraph(process.env, options);
  console.log(JSON.stringify(manifest, null, 2));
  await writeResults('seed', { machine: machine(), manifest });
} catch (err) {
  console.error(`seed failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
