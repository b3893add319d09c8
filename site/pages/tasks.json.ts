import { rawFile } from '../lib/data.ts';

/** The compact task index the tasks table filters in the browser. */
export function GET(): Response {
  return new Response(rawFile('tasks.json', { version: 1, tasks: [] }), {
    headers: { 'content-type': 'application/json' },
  });
}
