import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getDMMF } from '../support/prisma-dmmf.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, readMigrations } from '../../src/store/migrations.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => db?.drop());

describe('migration runner', () => {
  it("applies every migration once and keeps Prisma's bookkeeping", async () => {
    const migrations = await readMigrations();
    expect(await applyMigrations(db.url)).toEqual(migrations.map((m) => m.name));
    expect(await applyMigrations(db.url)).toEqual([]);
    const rows = await withClient(db.url, (client) =>
      client.query<{ migration_name: string; checksum: string; applied_steps_count: number; finished: boolean }>(
        'SELECT migration_name, checksum, applied_steps_count, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name',
      ),
    );
    for (const [index, migration] of migrations.entries()) {
      const sql = await readFile(
        new URL(`../../prisma/migrations/${migration.name}/migration.sql`, import.meta.url),
        'utf8',
      );
      expect(rows.rows[index]).toEqual({
        migration_name: migration.name,
        checksum: createHash('sha256').update(sql).digest('hex'),
        applied_steps_count: 1,
        finished: true,
      });
    }
  });

  it('refuses a migration that was edited after it was applied', async () => {
    await withClient(db.url, (client) => client.query(`UPDATE _prisma_migrations SET checksum = 'edited'`));
    await expect(applyMigrations(db.url)).rejects.toThrow(/changed after it was applied/);
    const migrations = await readMigrations();
    await withClient(db.url, (client) =>
      client.query('UPDATE _prisma_migrations SET checksum = $1 WHERE migration_name = $2', [
        migrations[0]!.checksum,
        migrations[0]!.name,
      ]),
    );
  });
});

describe('schema.prisma and the migrations agree', () => {
  interface Index {
    name: string;
    table: string;
    columns: string[];
    unique: boolean;
    predicate: string | null;
  }

  // Partial indexes, which schema.prisma cannot state without a preview feature: each is named in a `///` comment there.
  const SQL_ONLY_INDEXES: Index[] = [
    // One live contract per number; deleted incarnations keep theirs.
    {
      name: 'contracts_contract_number_key',
      table: 'contracts',
      columns: ['contract_number'],
      unique: true,
      predicate: '(deleted_at IS NULL)',
    },
    // EVENT_ORDER=created_at: the accepted decisions, where a late event finds the state before it.
    {
      name: 'processed_events_accepted_idx',
      table: 'processed_events',
      columns: ['contract_id', 'component_type', 'action', 'event_created_at', 'event_id'],
      unique: false,
      predicate: "(status = 'accepted'::outcome_status)",
    },
  ];

  interface Column {
    table: string;
    column: string;
    type: string;
    nullable: boolean;
  }

  it('has the same tables, columns, types and nullability', async () => {
    const dmmf = await getDMMF();
    const expected: Column[] = dmmf.models.flatMap((model) =>
      model.fields
        .filter((field) => field.kind !== 'object')
        .map((field) => ({
          table: model.dbName ?? model.name,
          column: field.dbName ?? field.name,
          type: expectedType(field, dmmf.enums),
          nullable: field.isList || !field.isRequired,
        })),
    );
    const actual = await withClient(db.url, async (client) => {
      const { rows } = await client.query<{ table: string; column: string; type: string; nullable: boolean }>(`
        SELECT c.table_name AS table, c.column_name AS column,
               format_type(a.atttypid, a.atttypmod) AS type, c.is_nullable = 'YES' AS nullable
        FROM information_schema.columns c
        JOIN pg_attribute a ON a.attrelid = format('%I', c.table_name)::regclass AND a.attname = c.column_name
        WHERE c.table_schema = 'public' AND c.table_name <> '_prisma_migrations'`);
      return rows;
    });
    const byKey = (columns: Column[]) =>
      [...columns].sort((a, b) => `${a.table}.${a.column}`.localeCompare(`${b.table}.${b.column}`));
    expect(byKey(actual)).toEqual(byKey(expected));
  });

  it('has the same enums', async () => {
    const dmmf = await getDMMF();
    const actual = await withClient(db.url, async (client) => {
      const { rows } = await client.query<{ name: string; values: string[] }>(`
        SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS values
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY t.typname`);
      return rows;
    });
    const expected = dmmf.enums
      .map((e) => ({ name: e.dbName ?? e.name, values: e.values.map((v) => v.dbName ?? v.name) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(actual).toEqual(expected);
  });

  it('has the same primary keys, unique constraints and indexes', async () => {
    const dmmf = await getDMMF();
    const modelTable = new Map(dmmf.models.map((m) => [m.name, m]));
    const expected = dmmf.indexes
      .map((index): Index => {
        const model = modelTable.get(index.model)!;
        const table = model.dbName ?? model.name;
        const columns = index.fields.map((f) => model.fields.find((field) => field.name === f.name)!.dbName ?? f.name);
        const name = index.type === 'id' ? `${table}_pkey` : index.dbName!;
        return { name, table, columns, unique: index.type !== 'normal', predicate: null };
      })
      .concat(SQL_ONLY_INDEXES)
      .sort((a, b) => a.name.localeCompare(b.name));
    const actual = await withClient(db.url, async (client) => {
      const { rows } = await client.query<Index>(`
        SELECT i.relname AS name, t.relname AS table, ix.indisunique AS unique,
               array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, n)
                     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns,
               pg_get_expr(ix.indpred, ix.indrelid) AS predicate
        FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations' ORDER BY i.relname`);
      return rows;
    });
    expect(actual).toEqual(expected);
  });

  it('has the same foreign keys and delete rules', async () => {
    const dmmf = await getDMMF();
    const tableOf = new Map(dmmf.models.map((m) => [m.name, m.dbName ?? m.name]));
    const expected = dmmf.models
      .flatMap((model) =>
        model.fields
          .filter((field) => field.kind === 'object' && field.relationFromFields && field.relationFromFields.length > 0)
          .map((field) => ({
            table: tableOf.get(model.name)!,
            columns: field.relationFromFields!.map((name) => model.fields.find((f) => f.name === name)!.dbName ?? name),
            references: tableOf.get(field.type)!,
            on_delete: (field.relationOnDelete ?? 'NoAction').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase(),
          })),
      )
      .sort((a, b) => a.table.localeCompare(b.table));
    const actual = await withClient(db.url, async (client) => {
      const { rows } = await client.query(`
        SELECT src.relname AS table,
               array(SELECT a.attname FROM unnest(c.conkey) k(attnum) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)::text[] AS columns,
               dst.relname AS references,
               CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS on_delete
        FROM pg_constraint c JOIN pg_class src ON src.oid = c.conrelid JOIN pg_class dst ON dst.oid = c.confrelid
        WHERE c.contype = 'f' ORDER BY src.relname`);
      return rows;
    });
    expect(actual).toEqual(expected);
  });
});

type Dmmf = Awaited<ReturnType<typeof getDMMF>>;

/** The Postgres type Prisma's migrate would create for a field. */
function expectedType(field: Dmmf['models'][number]['fields'][number], enums: Dmmf['enums']): string {
  const list = field.isList ? '[]' : '';
  if (field.kind === 'enum') {
    const target = enums.find((e) => e.name === field.type)!;
    return `${target.dbName ?? target.name}${list}`;
  }
  const [native, args = []] = field.nativeType ?? [];
  const precision = args.length ? `(${args.join(',')})` : '';
  const nativeNames: Record<string, string> = {
    VarChar: `character varying${precision}`,
    Timestamptz: `timestamp${precision} with time zone`,
    Date: 'date',
    Text: 'text',
    Uuid: 'uuid',
  };
  const defaults: Record<string, string> = {
    String: 'text',
    BigInt: 'bigint',
    Int: 'integer',
    Boolean: 'boolean',
    DateTime: 'timestamp(3) without time zone',
    Json: 'jsonb',
  };
  const type = native ? nativeNames[native] : defaults[field.type];
  if (!type) throw new Error(`No expected Postgres type for ${field.name}: ${field.type} ${native ?? ''}`);
  return `${type}${list}`;
}
