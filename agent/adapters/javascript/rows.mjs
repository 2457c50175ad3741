// Columns -> plain row objects, built by a function compiled inside the node's context so
// the rows (and the arrays holding them) belong to that context's realm.

import vm from 'node:vm';

/**
 * A function `(columns, n) => rows` for the given column names, compiled in `context`.
 * Object literals with constant keys give every row the same shape, which keeps both
 * building the rows and the user's code reading them fast.
 */
export function rowBuilder(names, context) {
  const cols = names.map((_, c) => `const c${c} = columns[${c}];`).join('\n');
  const props = names.map((name, c) => `${JSON.stringify(name)}: c${c}[i]`).join(', ');
  const body = `${cols}\nconst rows = [];\nfor (let i = 0; i < n; i++) rows.push({${props}});\nreturn rows;`;
  return vm.compileFunction(body, ['columns', 'n'], { parsingContext: context });
}
