/**
 * The HTML contact sheet of a cluster state: one row of face thumbnails per group (id, name, size, the gallery
 * person it matches), then the unclustered faces. One self-contained file (thumbnails inlined as data: URIs) a
 * person can open or mail.
 */
import path from 'node:path';
import type { GroupMatch } from './library.js';
import type { ClusterState, StoredFace } from './state.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function faceCell(state: ClusterState, f: StoredFace): string {
  const jpeg = state.thumbnail(f.id);
  const title = esc(
    `face ${f.id}: ${f.file} ` +
      `(${Math.round(f.box.x)}, ${Math.round(f.box.y)}, ${Math.round(f.box.width)}×${Math.round(f.box.height)})`,
  );
  const img = jpeg
    ? `<img src="data:image/jpeg;base64,${Buffer.from(jpeg).toString('base64')}" alt="${title}" width="64" height="64">`
    : '<span class="nothumb">?</span>';
  return `<figure title="${title}">${img}<figcaption>${esc(path.basename(f.file))}</figcaption></figure>`;
}

export function contactSheetHtml(
  state: ClusterState,
  opts: { matches?: Map<number, GroupMatch>; title?: string; maxPerRow?: number } = {},
): string {
  const max = opts.maxPerRow ?? 40;
  const rows: string[] = [];
  for (const g of state.groups()) {
    const faces = state.faces(g.id);
    const m = opts.matches?.get(g.id);
    const label = [
      `<b>group ${g.id}</b>`,
      g.name ? esc(g.name) : '<i>unnamed</i>',
      `${faces.length} faces`,
      ...(g.person ? [`enrolled as ${esc(g.person)}`] : []),
      ...(m ? [`looks like ${esc(m.person)} (${m.faces}/${m.of} faces)`] : []),
    ].join(' · ');
    const more = faces.length > max ? `<span class="more">+${faces.length - max} more</span>` : '';
    rows.push(
      `<section class="group" id="group-${g.id}"><h2>${label}</h2><div class="faces">${faces
        .slice(0, max)
        .map((f) => faceCell(state, f))
        .join('')}${more}</div></section>`,
    );
  }
  const alone = state.faces(null);
  if (alone.length)
    rows.push(
      `<section class="group unclustered"><h2><b>unclustered</b> · ${alone.length} faces</h2>` +
        `<div class="faces">${alone.map((f) => faceCell(state, f)).join('')}</div></section>`,
    );
  const title = esc(opts.title ?? 'facenet cluster');
  const counts =
    `<p>${state.groups().length} groups, ${alone.length} unclustered faces. ` +
    'Name a group with <code>facenet name GROUP NAME</code>.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}
h1{font-size:1.3em} h2{font-size:1em;font-weight:normal;margin:.2em 0}
.group{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5em .8em;margin:.6em 0}
.faces{display:flex;flex-wrap:nowrap;overflow-x:auto;gap:6px}
figure{margin:0;text-align:center;width:72px;flex:none}
figure img{border-radius:4px;display:block;margin:auto}
figcaption{font-size:10px;color:#666;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.unclustered{border-style:dashed} .more{align-self:center;color:#666}
</style></head><body>
<h1>${title}</h1>
${counts}
${rows.join('\n')}
</body></html>
`;
}
