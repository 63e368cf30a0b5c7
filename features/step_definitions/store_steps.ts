/**
 * Database files savepoint must refuse: another application's SQLite file, a file that is
 * not SQLite at all, a savepoint database from a newer savepoint.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Given, Then } from '@cucumber/cucumber';
import Database from 'better-sqlite3';
import { expect, expectEqual } from '../support/expect.js';
import type { SavepointWorld } from '../support/world.js';

function note(world: SavepointWorld, file: string): void {
  world.notedFiles.set(file, readFileSync(file));
}

Given(
  'a SQLite database {string} made by another application',
  function (this: SavepointWorld, name: string) {
    const file = this.resolvePath(name);
    const db = new Database(file);
    db.exec(
      "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO contacts (name) VALUES ('Ada');",
    );
    expectEqual(db.pragma('application_id', { simple: true }), 0);
    db.close();
    note(this, file);
  },
);

Given('a file {string} that is not a SQLite database', function (this: SavepointWorld, name: string) {
  const file = this.resolvePath(name);
  writeFileSync(file, 'name,email\nAda,ada@example.com\n'.repeat(200));
  note(this, file);
});

Given(
  'a savepoint database {string} whose schema version is {int}',
  function (this: SavepointWorld, name: string, version: number) {
    const file = this.resolvePath(name);
    this.runOk(`savepoint plan list --db ${file}`);
    const db = new Database(file);
    db.pragma(`user_version = ${version}`);
    db.close();
    note(this, file);
  },
);

Then('the file {string} is byte-for-byte unchanged', function (this: SavepointWorld, name: string) {
  const file = this.resolvePath(name);
  const before = this.notedFiles.get(file);
  expect(before, `${name} was not noted`);
  expect(readFileSync(file).equals(before), `${name} was modified`);
});
