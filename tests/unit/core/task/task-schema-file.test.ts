import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { stableStringify } from '../../../../scripts/core/stable-json.ts';
import { taskJsonSchema } from '../../../../scripts/core/task/task.ts';

describe('tasks/task.schema.json', () => {
  it('is what the zod task schema generates (run `npm run schema` after changing it)', async () => {
    const committed = await readFile(new URL('../../../../tasks/task.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(stableStringify(taskJsonSchema()));
  });

  it('rejects unknown fields, as the zod schema does', () => {
    expect(taskJsonSchema().additionalProperties).toBe(false);
    expect(taskJsonSchema().required).toEqual(['task_id', 'description', 'assignee']);
  });
});
