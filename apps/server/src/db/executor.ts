import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** A database handle or an open transaction: repositories accept either. */
export type Executor = Kysely<Database>;

/** An open transaction: what writes that must commit together (a row and its outbox event) take. */
export type Trx = Transaction<Database>;
