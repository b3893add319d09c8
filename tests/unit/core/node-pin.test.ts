// The Node version a project pins, read as volta, nvm, nodenv and npm read it.
import { describe, expect, it } from 'vitest';
import { FactoryError } from '../../../scripts/core/errors.ts';
import {
  compareVersions,
  formatVersion,
  type NodeVersion,
  newestMatching,
  nodePinOf,
  parseNodeVersion,
  parseRange,
} from '../../../scripts/core/node-pin.ts';

const v = (text: string): NodeVersion => parseNodeVersion(text)!;

/** Which of a spread of versions `range` takes. */
function taken(range: string): string[] {
  const test = parseRange(range);
  if (!test) throw new Error(`not a range: ${range}`);
  const versions = ['0.0.3', '0.0.4', '0.2.3', '0.2.9', '0.3.0', '1.2.3', '1.2.9', '1.3.0', '1.9.0', '2.0.0'];
  return versions.filter((version) => test(v(version)));
}

describe('Node versions', () => {
  it('reads what node --version prints and what version managers name their folders', () => {
    expect(parseNodeVersion('v24.1.0\n')).toEqual([24, 1, 0]);
    expect(parseNodeVersion('22.11.3')).toEqual([22, 11, 3]);
    for (const text of ['24', 'v24.1', 'lts', '24.1.0-rc.1', '../24.1.0', ''])
      expect(parseNodeVersion(text)).toBeUndefined();
    expect(formatVersion([20, 11, 1])).toBe('v20.11.1');
  });

  it('orders by major, then minor, then patch', () => {
    expect(compareVersions(v('20.0.0'), v('18.9.9'))).toBeGreaterThan(0);
    expect(compareVersions(v('20.1.0'), v('20.2.0'))).toBeLessThan(0);
    expect(compareVersions(v('20.1.2'), v('20.1.1'))).toBeGreaterThan(0);
    expect(compareVersions(v('20.1.1'), v('20.1.1'))).toBe(0);
  });
});

describe('npm ranges, as engines.node writes them', () => {
  it('reads comparators, partial versions and x-ranges', () => {
    expect(taken('>=1.3')).toEqual(['1.3.0', '1.9.0', '2.0.0']);
    expect(taken('>= 1.3')).toEqual(['1.3.0', '1.9.0', '2.0.0']);
    expect(taken('>1.2')).toEqual(['1.3.0', '1.9.0', '2.0.0']);
    expect(taken('>1.2.3')).toEqual(['1.2.9', '1.3.0', '1.9.0', '2.0.0']);
    expect(taken('<0.2.9')).toEqual(['0.0.3', '0.0.4', '0.2.3']);
    expect(taken('<=1.2')).toEqual(['0.0.3', '0.0.4', '0.2.3', '0.2.9', '0.3.0', '1.2.3', '1.2.9']);
    expect(taken('=1.2.3')).toEqual(['1.2.3']);
    expect(taken('1.2.x')).toEqual(['1.2.3', '1.2.9']);
    expect(taken('v1')).toEqual(['1.2.3', '1.2.9', '1.3.0', '1.9.0']);
    expect(taken('>=0.2.9 <1.3')).toEqual(['0.2.9', '0.3.0', '1.2.3', '1.2.9']);
  });

  it("reads npm's caret and tilde", () => {
    expect(taken('^1.2.3')).toEqual(['1.2.3', '1.2.9', '1.3.0', '1.9.0']);
    expect(taken('^0.2.3')).toEqual(['0.2.3', '0.2.9']);
    expect(taken('^0.0.3')).toEqual(['0.0.3']);
    expect(taken('^0.0')).toEqual(['0.0.3', '0.0.4']);
    expect(taken('^0.x')).toEqual(['0.0.3', '0.0.4', '0.2.3', '0.2.9', '0.3.0']);
    expect(taken('~1.2.3')).toEqual(['1.2.3', '1.2.9']);
    expect(taken('~>1.2')).toEqual(['1.2.3', '1.2.9']);
    expect(taken('~1')).toEqual(['1.2.3', '1.2.9', '1.3.0', '1.9.0']);
    expect(taken('~*')).toHaveLength(10);
    expect(taken('^*')).toHaveLength(10);
  });

  it('reads alternatives, hyphen ranges and the ranges that take everything or nothing', () => {
    expect(taken('^0.0.3 || >=1.9')).toEqual(['0.0.3', '1.9.0', '2.0.0']);
    expect(taken('0.2.9 - 1.2')).toEqual(['0.2.9', '0.3.0', '1.2.3', '1.2.9']);
    expect(taken('*')).toHaveLength(10);
    expect(taken('')).toHaveLength(10);
    expect(taken('x')).toHaveLength(10);
    expect(taken('>*')).toEqual([]);
    expect(taken('<x')).toEqual([]);
    expect(taken('<=*')).toHaveLength(10);
    expect(taken('1.2.3-beta.1+build')).toEqual(['1.2.3']);
  });

  it('refuses what is not a range, rather than guessing', () => {
    for (const range of ['latest', '1.x.3', 'x.2', '>=22 && <24', '1 - two', '$(touch x)', '../../etc'])
      expect(parseRange(range), range).toBeUndefined();
  });
});

describe('the pin of a project', () => {
  const pkg = (fields: object) => JSON.stringify(fields);

  it('takes volta first, then .nvmrc, then .node-version, then engines.node', () => {
    const all = {
      'package.json': pkg({ volta: { node: '20.11.1' }, engines: { node: '>=18' } }),
      '.nvmrc': '22\n',
      '.node-version': '24\n',
    };
    expect(nodePinOf(all)).toMatchObject({ source: 'package.json volta.node', spec: '20.11.1' });
    expect(nodePinOf({ ...all, 'package.json': pkg({ engines: { node: '>=18' } }) })).toMatchObject({
      source: '.nvmrc',
      spec: '22',
    });
    expect(
      nodePinOf({ '.node-version': '24\n', 'package.json': all['package.json'].replace('volta', 'x') }),
    ).toMatchObject({
      source: '.node-version',
    });
    const engines = nodePinOf({ 'package.json': pkg({ engines: { node: '^20 || >=22' } }) })!;
    expect(engines).toMatchObject({ source: 'package.json engines.node', spec: '^20 || >=22' });
    expect(engines.matches(v('21.0.0'))).toBe(false);
    expect(engines.matches(v('22.3.0'))).toBe(true);
  });

  it("reads a version file as nvm does: a version or its start, an LTS name, or 'any'", () => {
    const pin = (text: string) => nodePinOf({ '.nvmrc': text })!;
    expect(pin('# the team pins\n\nv20.11\n').matches(v('20.11.7'))).toBe(true);
    expect(pin('v20.11\n').matches(v('20.12.0'))).toBe(false);
    expect(pin('20.11.1').matches(v('20.11.2'))).toBe(false);
    expect(pin('lts/iron').matches(v('20.19.0'))).toBe(true);
    expect(pin('lts/Jod').matches(v('20.19.0'))).toBe(false);
    for (const any of ['node', 'stable', 'lts/*']) expect(pin(any).matches(v('4.0.0'))).toBe(true);
  });

  it('pins nothing without a pin: no file, an empty one, a package.json without the fields or broken', () => {
    expect(nodePinOf({})).toBeUndefined();
    expect(nodePinOf({ '.nvmrc': '\n# nothing\n' })).toBeUndefined();
    expect(
      nodePinOf({ 'package.json': pkg({ volta: { yarn: '4' }, engines: { node: ' ' } }) }),
    ).toBeUndefined();
    expect(nodePinOf({ 'package.json': pkg({ volta: 'x', engines: null }) })).toBeUndefined();
    expect(nodePinOf({ 'package.json': '{ broken' })).toBeUndefined();
    expect(nodePinOf({ 'package.json': '"a string"' })).toBeUndefined();
    expect(nodePinOf({ 'package.json': 'null' })).toBeUndefined();
  });

  it('names the file and the value it cannot read, whatever the value holds', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ '.nvmrc': '../../usr/bin' }, /^\.nvmrc says "\.\.\/\.\.\/usr\/bin", .*such as "24"/],
      [{ '.node-version': 'lts/unknown' }, /^\.node-version says "lts\/unknown"/],
      [{ '.nvmrc': 'x' }, /^\.nvmrc says "x"/],
      [
        { 'package.json': pkg({ volta: { node: '$(rm -rf ~)' } }) },
        /^package\.json volta\.node says "\$\(rm -rf ~\)"/,
      ],
      [
        { 'package.json': pkg({ engines: { node: 'latest' } }) },
        /^package\.json engines\.node says "latest".*">=22"/,
      ],
    ];
    for (const [files, message] of cases) {
      let thrown: unknown;
      try {
        nodePinOf(files);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(FactoryError);
      expect((thrown as FactoryError).errorClass).toBe('config');
      expect((thrown as FactoryError).message).toMatch(message);
    }
  });

  it('picks the newest installed version that fits', () => {
    const pin = nodePinOf({ '.nvmrc': '18' })!;
    const installed = ['18.19.0', '20.1.0', '18.20.4', '18.2.0'].map((text) => ({ version: v(text), text }));
    expect(newestMatching(installed, pin)?.text).toBe('18.20.4');
    expect(newestMatching(installed.slice(1, 2), pin)).toBeUndefined();
  });
});
