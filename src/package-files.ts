/**
 * Files the package ships beside its code (package.json, ui/), found from wherever the code runs:
 * src/ under tsx, dist/ as tsc wrote it, or a chunk of dist/bundle/ — each at its own depth, so a
 * path relative to the module would be right in one of them only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder of pebbleflow's own package.json (the nearest one above this module named pebbleflow). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'pebbleflow')
      return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`pebbleflow's package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** A path inside the package (`packagePath('ui')`). */
export function packagePath(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}
