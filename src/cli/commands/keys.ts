/** facenet keys add | list | revoke: API keys of `facenet serve` (stored hashed in the gallery or --keys file). */
import type { Command } from 'commander';
import { assertReachable } from '../../gallery/store/open-store.js';
import { DEFAULT_KEYS_PATH, keysFile, parseRole, ServerDb } from '../../server/keys.js';
import { action, printResult } from '../output.js';
import { addOptions, JSON_OPTION, withHelp, type OptionSpec } from '../options.js';
import { GALLERY_OPTION } from './gallery-common.js';

type KeysFlags = { gallery: string; keys?: string; json?: boolean };

export const KEYS_OPTION: OptionSpec = {
  flags: '--keys <file>',
  help: `API keys and settings file (default: the gallery file; ${DEFAULT_KEYS_PATH} beside a postgres:// gallery)`,
};
const KEY_STORE_OPTIONS = [withHelp(GALLERY_OPTION, 'gallery database'), KEYS_OPTION, JSON_OPTION];

/**
 * The keys of a postgres:// gallery live in a file beside it (./facenet-keys.db unless --keys): the database must be
 * reachable first, so a mistyped or unreachable URL is GALLERY_ERROR rather than a fresh, empty keys file.
 */
async function withKeyStore<R>(flags: KeysFlags, mustExist: boolean, fn: (db: ServerDb) => R): Promise<R> {
  if (flags.keys === undefined) await assertReachable(flags.gallery);
  const db = ServerDb.open(keysFile(flags), mustExist ? { mustExist } : undefined);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const add = async (flags: KeysFlags & { role: string; name: string }) => {
  const role = parseRole(flags.role);
  await withKeyStore(flags, false, (db) => {
    const { key, info } = db.addKey(role, flags.name);
    printResult(
      flags,
      { key, ...info },
      () => `${key}\n(role ${info.role}, id ${info.id}; store it now: it is not shown again)`,
    );
  });
};

const list = async (flags: KeysFlags) =>
  withKeyStore(flags, true, (db) => {
    const keys = db.listKeys();
    printResult(flags, { keys }, () =>
      keys.length
        ? keys
            .map(
              (k) =>
                `${k.id}  ${k.role.padEnd(9)}  ${k.revoked ? `revoked ${k.revoked}` : 'active'}  ` +
                `created ${k.created}  ${k.name}`,
            )
            .join('\n')
        : 'no keys',
    );
  });

const revoke = async (id: string, flags: KeysFlags) =>
  withKeyStore(flags, true, (db) => {
    const k = db.revokeKey(id);
    printResult(flags, k, () => `revoked ${k.id} (${k.role})`);
  });

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('API keys of `facenet serve` (stored hashed in the gallery file)');
  const addCommand = keys.command('add').description('create a key; it is printed once and only its hash is stored');
  addOptions(addCommand, [
    {
      flags: '--role <role>',
      help: 'admin (everything) | recognize (detect, embed, verify, identify, read)',
      required: true,
    },
    { flags: '--name <label>', help: 'what the key is for', default: '' },
    ...KEY_STORE_OPTIONS,
  ]).action(action(add));
  const listCommand = keys.command('list').description('keys: id, role, name, created, revoked (never the key)');
  addOptions(listCommand, KEY_STORE_OPTIONS).action(action(list));
  const revokeCommand = keys.command('revoke <id>').description('revoke a key by id (or by the key itself)');
  addOptions(revokeCommand, KEY_STORE_OPTIONS).action(action(revoke));
}
