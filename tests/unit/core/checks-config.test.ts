// The checks section of the config: isolated checks without network unless it says otherwise by name.
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../scripts/core/config.ts';

describe('the checks section of the config', () => {
  it('isolates checks and keeps them off the network by default', () => {
    expect(ConfigSchema.parse({}).checks).toMatchObject({ sandbox: 'isolate', network: false });
    expect(ConfigSchema.parse({ checks: { command: 'npm test' } }).checks).toMatchObject({
      sandbox: 'isolate',
      network: false,
    });
  });

  it('takes the opt-out only by its exact name, and the network only as a boolean', () => {
    expect(ConfigSchema.parse({ checks: { sandbox: 'none', network: true } }).checks).toMatchObject({
      sandbox: 'none',
      network: true,
    });
    for (const checks of [{ sandbox: 'off' }, { sandbox: 'None' }, { sandbox: false }, { network: 'yes' }]) {
      const parsed = ConfigSchema.safeParse({ checks });
      expect(parsed.success, JSON.stringify(checks)).toBe(false);
      expect(parsed.error?.issues[0]?.path.slice(0, 1)).toEqual(['checks']);
    }
  });
});
