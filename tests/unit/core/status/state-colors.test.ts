import { describe, expect, it } from 'vitest';
import { AGENT_STATES } from '../../../../scripts/core/status/agent-status.ts';
import {
  AGENT_STATE_TONES,
  colourOf,
  RESULT_TONES,
  SERIES_COLORS,
  stateCss,
  TASK_STATE_COLORS,
} from '../../../../scripts/core/status/state-colors.ts';
import { TASK_STATES } from '../../../../scripts/core/task/task-state.ts';

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((at) => {
    const channel = Number.parseInt(hex.slice(at, at + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

describe('the colour table', () => {
  it('gives every task state its own colour, failed and rejected apart', () => {
    expect(Object.keys(TASK_STATE_COLORS).sort()).toEqual([...TASK_STATES].sort());
    const lights = TASK_STATES.map((state) => TASK_STATE_COLORS[state].light);
    expect(new Set(lights).size).toBe(TASK_STATES.length);
    expect(colourOf('failed')).not.toEqual(colourOf('rejected'));
  });

  it('keeps every colour readable as text on the light and the dark panel (WCAG AA, 4.5:1)', () => {
    for (const colour of [...Object.values(TASK_STATE_COLORS), ...Object.values(SERIES_COLORS)]) {
      expect(contrast(colour.light, '#ffffff')).toBeGreaterThanOrEqual(4.5);
      expect(contrast(colour.dark, '#1a1d23')).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('colours agent states, results and series through the table, and an unknown name grey', () => {
    expect(Object.keys(AGENT_STATE_TONES).sort()).toEqual([...AGENT_STATES].sort());
    expect(colourOf('working')).toEqual(TASK_STATE_COLORS.running);
    expect(colourOf('success')).toEqual(TASK_STATE_COLORS.merged);
    expect(colourOf('commits')).toEqual(SERIES_COLORS.commits);
    expect(colourOf('no-such-thing')).toEqual(TASK_STATE_COLORS.pending);
    expect(RESULT_TONES.passed).toBe('merged');
  });

  it('writes one CSS rule per name for light and for dark', () => {
    const css = stateCss();
    expect(css).toContain(`.state-merged{--state-colour:${TASK_STATE_COLORS.merged.light}}`);
    expect(css).toContain(`@media (prefers-color-scheme: dark){`);
    expect(css).toContain(`.state-rejected{--state-colour:${TASK_STATE_COLORS.rejected.dark}}`);
    expect(css.match(/\.state-failed\{/g)).toHaveLength(2);
  });
});
