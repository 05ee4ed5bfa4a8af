/**
 * Per-byte lookup tables for turning 8-bit pixels into normalised network inputs (detectors' letterbox, embedders'
 * chips).
 */

/**
 * (v − mean) / std for every byte v, as float32: the tensor holds exactly what computing it per pixel would store,
 * for a table lookup instead of a subtraction and a multiplication per value. The last few tables are kept.
 */
export function normalisedBytes(mean: number, std: number): Float32Array {
  const key = `${mean}/${std}`;
  let table = byteTables.get(key);
  if (!table) {
    table = new Float32Array(256);
    const inv = 1 / std;
    for (let v = 0; v < 256; v++) table[v] = (v - mean) * inv;
    if (byteTables.size >= 8) byteTables.clear();
    byteTables.set(key, table);
  }
  return table;
}
const byteTables = new Map<string, Float32Array>();
