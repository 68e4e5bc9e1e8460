import fs from 'node:fs';
import path from 'node:path';

const MODULES = path.resolve(__dirname, '../modules');
const IMPORT = /(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

/** module → the other modules its (non-test) files import, type-only imports included. */
export function moduleGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const module of fs.readdirSync(MODULES)) {
    const edges = new Set<string>();
    for (const file of filesUnder(path.join(MODULES, module))) {
      for (const [, target] of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const relative = path.relative(MODULES, path.resolve(path.dirname(file), target)).split(path.sep);
        if (relative[0] !== '..' && relative[0] !== module) edges.add(relative[0]);
      }
    }
    graph.set(module, edges);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as `a → b → a`. */
export function cyclesOf(graph: Map<string, Set<string>>): string[] {
  const cycles: string[] = [];
  const done = new Set<string>();
  const visit = (node: string, trail: string[]) => {
    const at = trail.indexOf(node);
    if (at >= 0) return void cycles.push([...trail.slice(at), node].join(' → '));
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node, []);
  return cycles;
}

describe('module graph', () => {
  it('has no import cycle between src/modules folders', () => {
    expect(cyclesOf(moduleGraph())).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(cyclesOf(graph)).toEqual(['a → b → c → a']);
  });
});
