/** Regenerates tasks/task.schema.json from the zod task schema: `npm run schema`. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stableStringify } from './core/stable-json.ts';
import { taskJsonSchema } from './core/task/task.ts';

const target = join(process.cwd(), 'tasks', 'task.schema.json');
await writeFile(target, stableStringify(taskJsonSchema()));
console.log(`✓ wrote ${target}`);
