import { rawFile } from '../lib/data.ts';

/** The deployed summary.json, polled by the overview for live counts. */
export function GET(): Response {
  return new Response(rawFile('summary.json', {}), { headers: { 'content-type': 'application/json' } });
}
