/** What `facenet cluster` and `facenet groups` print: the cluster state as JSON, CSV or a table. */
import path from 'node:path';
import type { GroupMatch } from '../../cluster/library.js';
import type { ClusterState, StoredFace } from '../../cluster/state.js';
import { boxJson } from '../../face-json.js';
import { csvRow } from '../csv.js';

export const storedFaceJson = (f: StoredFace) => ({ id: f.id, file: f.file, box: boxJson(f.box) });

/** The state as the JSON: groups with their faces, then the unclustered faces. */
export function stateJson(state: ClusterState, matches?: Map<number, GroupMatch>) {
  return {
    groups: state.groups().map((g) => ({
      id: g.id,
      name: g.name,
      person: g.person,
      ...(matches ? { match: matches.get(g.id) ?? null } : {}),
      faces: state.faces(g.id).map(storedFaceJson),
    })),
    unclustered: state.faces(null).map(storedFaceJson),
  };
}

type StateJson = ReturnType<typeof stateJson>;
type FaceJson = ReturnType<typeof storedFaceJson>;

export function stateCsv(json: StateJson): string {
  const lines = [['group', 'name', 'person', 'match', 'face', 'file', 'x', 'y', 'width', 'height'].join(',')];
  const row = (g: string | number, name: string | null, person: string | null, match: string, f: FaceJson) =>
    lines.push(csvRow([g, name, person, match, f.id, f.file, f.box.x, f.box.y, f.box.width, f.box.height]));
  for (const g of json.groups)
    for (const f of g.faces) row(g.id, g.name, g.person, 'match' in g && g.match ? g.match.person : '', f);
  for (const f of json.unclustered) row('', null, null, '', f);
  return lines.join('\n');
}

export function stateTable(json: StateJson, maxFiles = 6): string {
  const files = (fs: { file: string }[]) =>
    fs
      .slice(0, maxFiles)
      .map((f) => path.basename(f.file))
      .join(', ') + (fs.length > maxFiles ? `, … (+${fs.length - maxFiles})` : '');
  const lines = json.groups.map((g) => {
    const name = g.person ? `${g.person} (enrolled)` : (g.name ?? 'unnamed');
    const match = 'match' in g && g.match ? `  ≈ ${g.match.person} (${g.match.faces}/${g.match.of} faces)` : '';
    return (
      `group ${String(g.id).padStart(4)}  ${name.padEnd(20)} ${String(g.faces.length).padStart(4)} ` +
      `faces${match}: ${files(g.faces)}`
    );
  });
  if (json.unclustered.length)
    lines.push(
      `unclustered       ${''.padEnd(20)} ${String(json.unclustered.length).padStart(4)} ` +
        `faces: ${files(json.unclustered)}`,
    );
  return lines.join('\n');
}
