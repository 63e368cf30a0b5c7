/**
 * Opening savepoint's SQLite database: location, permissions, pragmas, ownership and
 * version checks, migrations. The only module besides the repositories that touches SQL.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreIntegrityError } from '../core/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

/** `PRAGMA application_id` of a savepoint database: ASCII "SAVP". */
export const APPLICATION_ID = 0x53415650;

/** `<git-common-dir>/savepoint/state.db`: shared by all worktrees, never committed, deleted with the repo. */
export function defaultDatabasePath(gitCommonDir: string): string {
  return path.join(gitCommonDir, 'savepoint', 'state.db');
}

function sqliteCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/**
 * Checks, read-only, that an existing file is a savepoint database this binary can use.
 *
 * @throws {StoreIntegrityError} `STORE_FOREIGN` (not SQLite, or another application's
 *   database), `STORE_TOO_NEW` (schema newer than this binary).
 */
function checkExisting(file: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n;
    if (appId !== APPLICATION_ID && (appId !== 0 || objects > 0)) {
      throw new StoreIntegrityError(
        'STORE_FOREIGN',
        `${file} is not a savepoint database (application_id ${appId}); refusing to write to it`,
        {
          details: { path: file, applicationId: appId },
        },
      );
    }
    if (version > SCHEMA_VERSION) {
      throw new StoreIntegrityError(
        'STORE_TOO_NEW',
        `${file} has schema version ${version}, newer than this savepoint (${SCHEMA_VERSION}); upgrade savepoint`,
        { details: { path: file, schemaVersion: version, supported: SCHEMA_VERSION } },
      );
    }
  } catch (error) {
    if (error instanceof StoreIntegrityError) throw error;
    const refusal = {
      SQLITE_CORRUPT: ['STORE_CORRUPT', 'is a corrupt SQLite database'],
      SQLITE_NOTADB: ['STORE_FOREIGN', 'is not a SQLite database'],
    } as const;
    const known = refusal[sqliteCode(error) as keyof typeof refusal];
    if (known) {
      throw new StoreIntegrityError(known[0], `${file} ${known[1]}; refusing to write to it`, {
        cause: error,
        details: { path: file },
      });
    }
    throw error;
  } finally {
    db?.close();
  }
}

/**
 * Opens (creating if needed) the database at `file`: directory 0700, file 0600, WAL,
 * `synchronous=NORMAL`, `busy_timeout` 5000 ms, foreign keys on, migrations applied in one
 * `BEGIN IMMEDIATE` transaction.
 *
 * @throws {StoreIntegrityError} see {@link checkExisting}; nothing is written in that case.
 */
export function openDatabase(file: string): Database.Database {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  const fresh = !existsSync(file);
  if (!fresh) checkExisting(file);
  const db = new Database(file);
  if (fresh) chmodSync(file, 0o600);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Database.Database): void {
  if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return;
  db.transaction(() => {
    // Re-read inside the write lock: a concurrent opener may have migrated already.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new StoreIntegrityError(
        'STORE_TOO_NEW',
        `database schema ${current} is newer than this savepoint (${SCHEMA_VERSION})`,
      );
    }
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version] as string);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
