import { readFileSync } from 'node:fs';
import { connect } from 'amqplib';
const c = await connect('amqp://guest:guest@127.0.0.1:5672');
const ch = await c.createChannel();
let n = 0;
const t = Date.now();
for (const q of readFileSync('/tmp/q.txt', 'utf8').split('\n').filter(Boolean)) {
  await ch.deleteQueue(q.trim());
  if (++n % 20 === 0) console.log(n, Date.now() - t);
}
for (const x of readFileSync('/tmp/x.txt', 'utf8').split('\n').filter(Boolean))
  await ch.deleteExchange(x.trim());
await c.close();
console.log('purged', n, Date.now() - t);
