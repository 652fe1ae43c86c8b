import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

// Prisma's own schema parser (WebAssembly, no engine binary needed) reads
// schema.prisma, so the drift test compares the database with what Prisma
// itself understands from the schema.

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationOnDelete?: string;
}

interface Dmmf {
  models: { name: string; dbName: string | null; fields: DmmfField[] }[];
  enums: { name: string; dbName?: string | null; values: { name: string; dbName: string | null }[] }[];
  indexes: {
    model: string;
    type: 'id' | 'unique' | 'normal' | 'fulltext';
    dbName?: string;
    fields: { name: string }[];
  }[];
}

const require = createRequire(import.meta.url);

export async function getDMMF(): Promise<Dmmf> {
  const wasm = require('@prisma/prisma-schema-wasm') as { get_dmmf(params: string): string };
  const schema = await readFile(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
  const result = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schema]] }))) as {
    datamodel: Dmmf;
  };
  return result.datamodel;
}
