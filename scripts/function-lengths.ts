/**
 * The longest functions under src/ (or the folders given), by source lines from the first line of the declaration to
 * the closing brace: `npx tsx scripts/function-lengths.ts [--top N] [--json] [DIR…]`. A function's length includes
 * the functions nested in it (a command registration counts its action callback), which is what a reader scrolls.
 */
import ts from 'typescript';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface FunctionLength {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly lines: number;
}

function sourceFiles(dir: string): string[] {
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** A readable name: the declared one, else the variable, property or call the function is written in. */
function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name && ts.isIdentifier(node.name)) {
    const owner = node.parent && ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
    return owner + node.name.text;
  }
  if (ts.isConstructorDeclaration(node)) return `${(node.parent as ts.ClassLikeDeclaration).name?.text}.constructor`;
  const p = node.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isCallExpression(p)) return `<callback of ${p.expression.getText().slice(0, 40)}>`;
  return '<anonymous>';
}

export function functionLengths(dirs: readonly string[]): FunctionLength[] {
  const out: FunctionLength[] = [];
  for (const file of dirs.flatMap(sourceFiles)) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const fn = node as ts.FunctionLikeDeclaration;
        const start = sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(fn.getEnd()).line;
        out.push({ file, line: start + 1, name: nameOf(fn), lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 15;
  const json = args.includes('--json');
  const dirs = args.filter((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1));
  const list = functionLengths(dirs.length ? dirs : ['src']).slice(0, top);
  if (json) console.log(JSON.stringify(list, null, 2));
  else for (const f of list) console.log(`${String(f.lines).padStart(4)}  ${f.name}  (${f.file}:${f.line})`);
}
