/**
 * The names each package entry exports, split into values and types:
 * `npx tsx scripts/public-api.ts [--names] [ENTRY.ts…]` (default: every entry in package.json `exports`, read from
 * src/ instead of dist/). The root export is what a library user meets first; it should stay as small as the README.
 */
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface EntryNames {
  readonly entry: string;
  readonly values: readonly string[];
  readonly types: readonly string[];
}

/** `./dist/x/index.js` → `src/x/index.ts`. */
function sourceOf(distPath: string): string {
  return distPath.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
}

export function packageEntries(root = '.'): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, { import: string } | string>;
  };
  const code = Object.entries(pkg.exports).flatMap(([k, v]) => (typeof v === 'string' ? [] : [[k, v.import]]));
  return Object.fromEntries(code.map(([k, file]) => [k, sourceOf(file)]));
}

export function exportedNames(entries: readonly string[]): EntryNames[] {
  const program = ts.createProgram([...entries], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  return entries.map((entry) => {
    const sf = program.getSourceFile(entry);
    if (!sf) throw new Error(`cannot read ${entry}`);
    const symbol = checker.getSymbolAtLocation(sf)!;
    const values: string[] = [];
    const types: string[] = [];
    for (const s of checker.getExportsOfModule(symbol)) {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      const isValue = (target.flags & ts.SymbolFlags.Value) !== 0 && !isTypeOnlyExport(s);
      (isValue ? values : types).push(s.name);
    }
    return { entry, values: values.sort(), types: types.sort() };
  });
}

/** `export type { X }` / `export { type X }` of a class still exports only its type. */
function isTypeOnlyExport(s: ts.Symbol): boolean {
  return (s.declarations ?? []).some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const args = process.argv.slice(2);
  const names = args.includes('--names');
  const files = args.filter((a) => !a.startsWith('--'));
  const entries = files.length ? files : Object.values(packageEntries());
  for (const e of exportedNames(entries)) {
    console.log(
      `${e.entry}: ${e.values.length + e.types.length} names (${e.values.length} values, ${e.types.length} types)`,
    );
    if (names) console.log(`  values: ${e.values.join(', ')}\n  types: ${e.types.join(', ')}`);
  }
}
