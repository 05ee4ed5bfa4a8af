import { decodeImage } from './src/image/decode.js';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
const lfw = '../shared/datasets/lfw/lfw/Aaron_Eckhart/Aaron_Eckhart_0001.jpg';
const img = await decodeImage(lfw); console.log(img.width, img.height, img.data.length);
writeFileSync('/tmp/empty.jpg', ''); writeFileSync('/tmp/text.jpg', 'hello world this is text');
const full = await import('node:fs').then(f=>f.readFileSync(lfw)); writeFileSync('/tmp/trunc.jpg', full.subarray(0, full.length/2));
// PNG header claiming 30000x30000
const png = await sharp({create:{width:10,height:10,channels:3,background:'red'}}).png().toBuffer();
png.writeUInt32BE(30000, 16); png.writeUInt32BE(30000, 20); writeFileSync('/tmp/huge.png', png);
const grey = await sharp(full).greyscale().png().toBuffer();
console.log((await decodeImage(grey)).data.length);
const cmyk = await sharp(full).toColourspace('cmyk').jpeg().toBuffer(); const c = await decodeImage(cmyk); console.log('cmyk', c.width, c.data.length, c.data.slice(0,6));
const p16 = await sharp(full).toColourspace('rgb16').png().toBuffer(); const c16 = await decodeImage(p16); console.log('16', c16.width, c16.data.slice(0,6), img.data.slice(0,6));
for (const f of ['/tmp/empty.jpg','/tmp/text.jpg','/tmp/trunc.jpg','/tmp/huge.png','/nonexist.jpg']) {
  try { await decodeImage(f); console.log(f, 'NO ERROR'); } catch (e: any) { console.log(f, e.code, e.message); }
}
