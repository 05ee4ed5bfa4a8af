/**
 * Messages a user reads (errors, warnings, --help texts, the page) say what to do in the user's words, not which
 * library failed: no string literal in src/ names sharp, onnxruntime, usearch, better-sqlite3, tfjs or libvips.
 * The few literals that must hold such a name (a file suffix, an engine label in benchmark output) are listed here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'src');
const LIBRARY = /\b(sharp|onnxruntime|usearch|better-sqlite3|tfjs|libvips|node-postgres)\b|\bpg\b(?!_)/i;
/** file → literal fragments that may name a library (not shown to a user as a message). */
const ALLOWED: Record<string, RegExp[]> = {
  'engine/ort.ts': [/^onnxruntime-node\$\{…\}$/], // the engine's name in benchmark reports
  'search/hnsw-file.ts': [/^\$\{…\}\.\$\{…\}\.usearch$/, /^\.usearch$/], // the graph file's name and suffix
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

/** The string literals and template texts of a source file, import specifiers left out (TypeScript's parser). */
function literals(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    else if (ts.isTemplateExpression(node))
      out.push([node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('${…}'));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

test('no user-facing string in src/ names a library', () => {
  const found: string[] = [];
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file).split(path.sep).join('/');
    for (const lit of literals(file)) {
      if (!LIBRARY.test(lit)) continue;
      if ((ALLOWED[rel] ?? []).some((ok) => ok.test(lit))) continue;
      found.push(`${rel}: ${lit.slice(0, 100)}`);
    }
  }
  assert.deepEqual(found, []);
});
