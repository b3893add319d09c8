import { rawFile } from '../lib/data.ts';

/** The compact task index the tasks table filters in the browser, without whitespace. */
export function GET(): Response {
  const index = JSON.stringify(JSON.parse(rawFile('tasks.json', { version: 1, tasks: [] })));
  return new Response(index, { headers: { 'content-type': 'application/json' } });
}
